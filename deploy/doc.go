// Package deploy holds no code: it is the home of the deployment files (Prometheus
// configuration, rules and alerts, Alertmanager, Grafana, Kubernetes, docker compose) and of
// the tests that check them with the real tools, so that `go test ./...` runs them.
package deploy
