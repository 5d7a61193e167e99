package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const dashboardPath = "grafana/dashboards/toggl-exporter.json"

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// variable is one of the dashboard's template variables.
type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"` // a textbox's value, a query variable's {query}
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Sort       int             `json:"sort"`
	Current    struct {
		Value any `json:"value"` // a string, or a list of them for a multi-value variable
	} `json:"current"`
}

// labelValues returns the selector and label of a query variable's label_values(selector, label).
func (v variable) labelValues(t *testing.T) (selector, label string) {
	t.Helper()
	var q struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &q); err != nil {
		t.Fatalf("variable %s: query: %v", v.Name, err)
	}
	m := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`).FindStringSubmatch(q.Query)
	if m == nil {
		t.Fatalf("variable %s: %q is not label_values(selector, label)", v.Name, q.Query)
	}
	return m[1], m[2]
}

// isAll says whether the variable is set to All by default.
func (v variable) isAll() bool {
	all := []any{"$__all"}
	return v.IncludeAll && (v.Current.Value == "$__all" || fmt.Sprint(v.Current.Value) == fmt.Sprint(all))
}

type panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a collapsed row
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// allPanels flattens rows.
func (d dashboard) allPanels() []panel {
	var ps []panel
	for _, p := range d.Panels {
		ps = append(ps, p)
		ps = append(ps, p.Panels...)
	}
	return ps
}

// query is one PromQL query of the dashboard.
type query struct {
	where    string // panel title and refId, or variable name
	expr     string
	operator bool // of a panel of the operator's row (see operatorRow)
}

// selectAll is the value of every variable that selects everything.
var selectAll = map[string]string{"job": ".+", "report": ".+", "cost_currency": "USD"}

// dashboardQueries returns every panel query and variable query of the dashboard, with the
// dashboard variables replaced by vars (see selectAll, defaultView), as Grafana would send
// them.
func dashboardQueries(t *testing.T, rateInterval string, vars map[string]string) []query {
	t.Helper()
	d := loadDashboard(t)
	subst := substitute(vars, rateInterval)
	var qs []query
	section := ""
	for _, p := range d.allPanels() {
		if p.Type == "row" {
			section = p.Title
		}
		for _, tg := range p.Targets {
			qs = append(qs, query{fmt.Sprintf("panel %q %s", p.Title, tg.RefID), subst.Replace(tg.Expr), section == operatorRow})
		}
	}
	// label_values(SELECTOR, label) -> SELECTOR, which must have the label
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			selector, label := v.labelValues(t)
			qs = append(qs, query{"variable " + v.Name, fmt.Sprintf("count by (%s) (%s)", label, subst.Replace(selector)), false})
		}
	}
	return qs
}

// substitute replaces the dashboard's variables in a query by vars.
func substitute(vars map[string]string, rateInterval string) *strings.Replacer {
	pairs := []string{"$__rate_interval", rateInterval, "${__rate_interval}", rateInterval}
	for name, value := range vars {
		pairs = append(pairs, "${"+name+"}", value, "$"+name, value)
	}
	return strings.NewReplacer(pairs...)
}

// operatorRow is the title of the dashboard's last row: the operator's, where every report of
// the job is shown whatever reports the team lead selected above it.
const operatorRow = "Exporter health (every report of the job)"

// TestDashboardStructure checks what Grafana needs and what a reader expects: unique panel
// ids, the datasource variable on every panel, known variables only, no overlapping panels,
// every report selected by default, every team lead's figure saying its period, the
// operator's row showing every report, and the sections the deployment promises.
func TestDashboardStructure(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q", d.UID, d.Title)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		// One report cannot answer the first questions: running timers need a detailed
		// report, estimates one covering four weeks. So the first view shows them all,
		// each figure saying its report (the e2e test proves every panel has data then).
		if v.Name == "report" && (!v.isAll() || v.AllValue != ".+") {
			t.Errorf(`variable report: includeAll %v, allValue %q, current %v: the default must be "All", as .+`, v.IncludeAll, v.AllValue, v.Current.Value)
		}
	}
	for name, typ := range map[string]string{"datasource": "datasource", "job": "query", "report": "query", "cost_currency": "textbox"} {
		if vars[name] != typ {
			t.Errorf("variable %s: type %q, want %q", name, vars[name], typ)
		}
	}
	builtin := map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}
	varRef := regexp.MustCompile(`\$\{?(\w+)`)
	ids := map[int]string{}
	titles := map[string]bool{}
	type rect struct{ x0, y0, x1, y1 int }
	var placed []struct {
		title string
		r     rect
	}
	section := ""
	for _, p := range d.allPanels() {
		titles[p.Title] = true
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d (also %q)", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v", p.Title, p.GridPos)
		}
		r := rect{p.GridPos.X, p.GridPos.Y, p.GridPos.X + p.GridPos.W, p.GridPos.Y + p.GridPos.H}
		for _, q := range placed {
			if r.x0 < q.r.x1 && q.r.x0 < r.x1 && r.y0 < q.r.y1 && q.r.y0 < r.y1 {
				t.Errorf("panels %q and %q overlap", p.Title, q.title)
			}
		}
		placed = append(placed, struct {
			title string
			r     rect
		}{p.Title, r})
		if p.Type == "row" {
			section = p.Title
			continue
		}
		operator := section == operatorRow
		if !operator && !strings.Contains(p.Description, "period") {
			t.Errorf("panel %q: the description does not say which period the figure covers", p.Title)
		}
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q: no query", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: target %q/%q", p.Title, tg.RefID, tg.Expr)
			}
			refs[tg.RefID] = true
			for _, m := range varRef.FindAllStringSubmatch(tg.Expr, -1) {
				if vars[m[1]] == "" && !builtin[m[1]] {
					t.Errorf("panel %q: unknown variable $%s", p.Title, m[1])
				}
			}
			// A clock ahead of Prometheus' must not make an age negative.
			if strings.Contains(tg.Expr, "time()") && !strings.HasPrefix(tg.Expr, "clamp_min(") {
				t.Errorf("panel %q: %q: an age or a countdown below zero; wrap it in clamp_min(..., 0)", p.Title, tg.Expr)
			}
			if !strings.Contains(tg.Expr, "toggl_") {
				continue
			}
			switch {
			case !strings.Contains(tg.Expr, `job=~"$job"`):
				t.Errorf("panel %q: %q does not filter on $job", p.Title, tg.Expr)
			case operator && strings.Contains(tg.Expr, "$report"):
				t.Errorf("panel %q: %q filters on $report: the operator's row shows every report", p.Title, tg.Expr)
			case !operator && strings.Contains(tg.Expr, "toggl_report") && !strings.Contains(tg.Expr, `report=~"$report"`):
				t.Errorf("panel %q: %q does not filter on $report", p.Title, tg.Expr)
			}
		}
	}
	if section != operatorRow {
		t.Errorf("the last row is %q, want %q", section, operatorRow)
	}
	for _, want := range []string{
		"Period", "Hours tracked", "Billable amount", "Labour cost", "Billable ratio", "Margin",
		"Revenue by client", "Revenue by project",
		"Hours by project", "Projects", "Hours by user", "Hours per person against expected",
		"Billable and non-billable hours by user", "Billable and non-billable hours by project",
		"Who tracked what", "Running timers", "Tracking now", "Estimate used",
		"Time entries", "Untagged share", "Time without a project",
		"Report up", "Failing reports", "Breakdowns complete", "Pages per fetch",
		"API quota remaining", "Quota resets in", "Age of data", "Fetch duration",
	} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
}

// TestDashboardQueriesParse has promtool parse every dashboard query, as recording rules.
func TestDashboardQueriesParse(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	var rules []map[string]string
	for i, q := range dashboardQueries(t, "5m", selectAll) {
		rules = append(rules, map[string]string{"record": fmt.Sprintf("dashboard:query_%d:check", i), "expr": q.expr})
	}
	path := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	writeYAML(t, path, map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	run(t, time.Minute, ".", promtool, "check", "rules", path)
}

// TestGrafanaProvisioning: the datasource and dashboard provider files parse and agree with
// the paths docker-compose.yml mounts.
func TestGrafanaProvisioning(t *testing.T) {
	t.Parallel()
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, URL, UID string
			IsDefault            bool `yaml:"isDefault"`
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" ||
		ds.Datasources[0].URL != "http://prometheus:9090" || !ds.Datasources[0].IsDefault {
		t.Errorf("datasource provisioning: %+v", ds)
	}
	var dp struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name, Type string
			Options    struct{ Path string } `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "grafana/provisioning/dashboards/toggl-exporter.yml", &dp)
	if dp.APIVersion != 1 || len(dp.Providers) != 1 || dp.Providers[0].Type != "file" {
		t.Fatalf("dashboard provisioning: %+v", dp)
	}
	mounts := composeMounts(t)
	if src := mounts["grafana"][dp.Providers[0].Options.Path]; filepath.Clean(src) != filepath.Dir(dashboardPath) {
		t.Errorf("the provider reads %s, where docker-compose.yml mounts %q, want ./%s",
			dp.Providers[0].Options.Path, src, filepath.Dir(dashboardPath))
	}
}
