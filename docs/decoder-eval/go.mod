module github.com/toggl-exporter/toggl_exporter/docs/decoder-eval

go 1.26.8

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/goccy/go-json v0.12.0
	github.com/toggl-exporter/toggl_exporter v0.0.0
)

require golang.org/x/time v0.16.0 // indirect

replace github.com/toggl-exporter/toggl_exporter => ../..
