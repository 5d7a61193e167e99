package collector

import (
	"encoding/json"
	"net/http"
)

// SDHandler serves Prometheus HTTP service discovery (http_sd_configs): one target group
// per report, whose target is the address the request came to (its Host), scraped at
// /probe?report=NAME. One scrape job then covers every report, and follows reloads.
func (e *Exporter) SDHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		groups := []any{}
		for _, name := range e.Names() {
			groups = append(groups, map[string]any{"targets": []string{r.Host},
				"labels": map[string]string{"__metrics_path__": "/probe", "__param_report": name, "report": name}})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(groups)
	})
}
