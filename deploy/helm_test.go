package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The Helm chart, rendered by the real helm and decoded strictly into the fields of the
// Kubernetes types it sets: a misspelt or misplaced key is an unknown field and fails.

const chartDir = "helm/toggl-exporter"

// regenerate is the one command that refreshes the chart's copies of the rules and dashboard.
const regenerate = "go generate ./deploy/..."

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	TimeoutSeconds   int `yaml:"timeoutSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Args            []string `yaml:"args"`
	Ports           []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type deployment struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     struct {
				AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
				EnableServiceLinks           *bool `yaml:"enableServiceLinks"`
				ImagePullSecrets             []struct {
					Name string `yaml:"name"`
				} `yaml:"imagePullSecrets"`
				SecurityContext struct {
					RunAsNonRoot   *bool  `yaml:"runAsNonRoot"`
					RunAsUser      *int64 `yaml:"runAsUser"`
					RunAsGroup     *int64 `yaml:"runAsGroup"`
					FSGroup        *int64 `yaml:"fsGroup"`
					SeccompProfile struct {
						Type string `yaml:"type"`
					} `yaml:"seccompProfile"`
				} `yaml:"securityContext"`
				InitContainers []container `yaml:"initContainers"`
				Containers     []container `yaml:"containers"`
				Volumes        []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
					Secret *struct {
						SecretName  string `yaml:"secretName"`
						DefaultMode int    `yaml:"defaultMode"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
				NodeSelector map[string]string `yaml:"nodeSelector"`
				Tolerations  []map[string]any  `yaml:"tolerations"`
				Affinity     map[string]any    `yaml:"affinity"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       struct {
		Type     string            `yaml:"type"`
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
			Protocol   string `yaml:"protocol"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type secret struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   objectMeta        `yaml:"metadata"`
	Type       string            `yaml:"type"`
	StringData map[string]string `yaml:"stringData"`
}

type configMap struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   objectMeta        `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}

type serviceMonitor struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       struct {
		JobLabel string `yaml:"jobLabel"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Endpoints []struct {
			Port              string           `yaml:"port"`
			Path              string           `yaml:"path"`
			Interval          string           `yaml:"interval"`
			ScrapeTimeout     string           `yaml:"scrapeTimeout"`
			MetricRelabelings []map[string]any `yaml:"metricRelabelings"`
		} `yaml:"endpoints"`
	} `yaml:"spec"`
}

type scrapeConfig struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       struct {
		HonorLabels    bool   `yaml:"honorLabels"`
		ScrapeInterval string `yaml:"scrapeInterval"`
		ScrapeTimeout  string `yaml:"scrapeTimeout"`
		HTTPSDConfigs  []struct {
			URL             string `yaml:"url"`
			RefreshInterval string `yaml:"refreshInterval"`
		} `yaml:"httpSDConfigs"`
		Relabelings []struct {
			SourceLabels []string `yaml:"sourceLabels"`
			TargetLabel  string   `yaml:"targetLabel"`
			Replacement  string   `yaml:"replacement"`
		} `yaml:"relabelings"`
	} `yaml:"spec"`
}

type prometheusRule struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       struct {
		Groups []map[string]any `yaml:"groups"`
	} `yaml:"spec"`
}

// rendered is the output of helm template, each object decoded strictly into its type.
type rendered struct {
	kinds          []string
	deployment     *deployment
	service        *service
	secret         *secret
	config         *configMap // the exporter's configuration
	dashboard      *configMap // the Grafana dashboard
	serviceMonitor *serviceMonitor
	scrapeConfig   *scrapeConfig
	prometheusRule *prometheusRule
}

// helmTemplate renders the chart with the values files given (none: the defaults).
func helmTemplate(t *testing.T, values ...string) rendered {
	t.Helper()
	out, err := helmTemplateErr(t, values...)
	if err != nil {
		t.Fatal(err)
	}
	return decodeRendered(t, out)
}

func helmTemplateErr(t *testing.T, values ...string) (string, error) {
	t.Helper()
	helm := needTool(t, "helm")
	args := []string{"template", "toggl", chartDir, "--namespace", "monitoring"}
	for _, v := range values {
		args = append(args, "--values", v)
	}
	return runErr(2*time.Minute, ".", helm, args...)
}

// decodeRendered splits helm's output into objects and decodes each strictly by kind.
func decodeRendered(t *testing.T, out string) rendered {
	t.Helper()
	var r rendered
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template output: %v\n%s", err, out)
		}
		if len(doc.Content) == 0 {
			continue
		}
		raw, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Kind     string     `yaml:"kind"`
			Metadata objectMeta `yaml:"metadata"`
		}
		if err := doc.Decode(&head); err != nil {
			t.Fatal(err)
		}
		r.kinds = append(r.kinds, head.Kind)
		what := head.Kind + " " + head.Metadata.Name
		switch head.Kind {
		case "Deployment":
			r.deployment = decodeStrict[deployment](t, what, raw)
		case "Service":
			r.service = decodeStrict[service](t, what, raw)
		case "Secret":
			r.secret = decodeStrict[secret](t, what, raw)
		case "ConfigMap":
			cm := decodeStrict[configMap](t, what, raw)
			if _, ok := cm.Data["toggl.yml"]; ok {
				r.config = cm
			} else {
				r.dashboard = cm
			}
		case "ServiceMonitor":
			r.serviceMonitor = decodeStrict[serviceMonitor](t, what, raw)
		case "PrometheusRule":
			r.prometheusRule = decodeStrict[prometheusRule](t, what, raw)
		case "ScrapeConfig":
			r.scrapeConfig = decodeStrict[scrapeConfig](t, what, raw)
		default:
			t.Errorf("unexpected object %s", what)
		}
	}
	slices.Sort(r.kinds)
	return r
}

// decodeStrict decodes raw into a new T, failing the test on any field T does not have.
func decodeStrict[T any](t *testing.T, what string, raw []byte) *T {
	t.Helper()
	v := new(T)
	if err := decodeStrictErr(raw, v); err != nil {
		t.Errorf("%s: %v\n%s", what, err, raw)
	}
	return v
}

func decodeStrictErr(raw []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// TestStrictDecodingCatchesTypos guards the guard: a misspelt field must not decode.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	t.Parallel()
	var c container
	if err := decodeStrictErr([]byte("securityContext:\n  readOnlyRootFileSystem: true\n"), &c); err == nil {
		t.Error("a misspelt field decoded")
	}
}

// writeValues writes a values file for helm and returns its path.
func writeValues(t *testing.T, values string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// everything turns every optional part of the chart on.
const everything = `
serviceMonitor: {enabled: true, labels: {release: kube-prometheus-stack}}
probeScrapeConfig: {enabled: true, labels: {release: kube-prometheus-stack}}
prometheusRule: {enabled: true, labels: {release: kube-prometheus-stack}}
dashboard: {enabled: true, namespace: grafana}
demo: true
imagePullSecrets: [{name: registry}]
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Exists}]
affinity: {nodeAffinity: {}}
podAnnotations: {example.com/team: ops}
service: {annotations: {example.com/owner: ops}}
`

// TestHelmLint runs helm lint --strict with the default values and with every optional part on.
func TestHelmLint(t *testing.T) {
	t.Parallel()
	helm := needTool(t, "helm")
	run(t, 2*time.Minute, ".", helm, "lint", "--strict", chartDir)
	run(t, 2*time.Minute, ".", helm, "lint", "--strict", chartDir, "--values", writeValues(t, everything))
}

// checkPod checks the Deployment's pod as the kustomize base's is checked: non-root, read-only
// root filesystem, no capabilities, seccomp RuntimeDefault, probes, resources, the image of
// this release, the configuration and the Secret mounted where toggl.yml reads them.
func checkPod(t *testing.T, r rendered) {
	t.Helper()
	d := r.deployment
	if d == nil || r.config == nil || r.service == nil {
		t.Fatalf("rendered %v: want a Deployment, its ConfigMap and a Service", r.kinds)
	}
	pod := d.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65534 ||
		psc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("pod securityContext %+v", psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the exporter needs no service account token")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if want := "ghcr.io/toggl-exporter/toggl_exporter:v" + version(t); c.Image != want {
		t.Errorf("image %q, want %q", c.Image, want)
	}
	sc := c.SecurityContext
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container securityContext %+v", sc)
	}
	for name, p := range map[string]struct {
		probe *probe
		path  string
	}{"liveness": {c.LivenessProbe, "/-/healthy"}, "readiness": {c.ReadinessProbe, "/-/ready"}} {
		if p.probe == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != "http" {
			t.Errorf("%s probe %+v, want GET %s on http", name, p.probe, p.path)
		}
	}
	if c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v", c.Resources)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 9981 {
		t.Errorf("ports %+v", c.Ports)
	}
	if !slices.Contains(c.Args, "--config.file=/etc/toggl_exporter/toggl.yml") {
		t.Errorf("args %v", c.Args)
	}
	// Before the exporter, but in demo mode (which reads no configuration), an init container
	// checks the configuration with the same files in the same image.
	inits := pod.InitContainers
	if slices.Contains(c.Args, "--demo") {
		if len(inits) != 0 {
			t.Errorf("%d init containers in demo mode", len(inits))
		}
	} else if len(inits) != 1 {
		t.Errorf("%d init containers, want the configuration check", len(inits))
	} else {
		ic := inits[0]
		if !slices.Equal(ic.Args, []string{"--config.check", "--config.file=/etc/toggl_exporter/toggl.yml"}) {
			t.Errorf("init container args %v", ic.Args)
		}
		if ic.Image != c.Image || !reflect.DeepEqual(ic.VolumeMounts, c.VolumeMounts) ||
			!reflect.DeepEqual(ic.SecurityContext, c.SecurityContext) || ic.Resources.Limits["memory"] == "" {
			t.Errorf("init container %+v: want the exporter's image, mounts and securityContext, and a memory limit", ic)
		}
	}
	if d.Spec.Template.Metadata.Annotations["checksum/config"] == "" {
		t.Error("no checksum/config annotation: a configuration change would not roll the pods")
	}

	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts["config"] != "/etc/toggl_exporter/toggl.yml" || mounts["tokens"] != "/etc/toggl_exporter/secrets" {
		t.Errorf("mounts %v", mounts)
	}
	for _, v := range pod.Volumes {
		switch v.Name {
		case "config":
			if v.ConfigMap == nil || v.ConfigMap.Name != r.config.Metadata.Name {
				t.Errorf("config volume %+v, want the ConfigMap %s", v.ConfigMap, r.config.Metadata.Name)
			}
		case "tokens":
			if v.Secret == nil || v.Secret.DefaultMode != 0o440 {
				t.Errorf("tokens volume %+v", v.Secret)
			} else if r.secret != nil && v.Secret.SecretName != r.secret.Metadata.Name {
				t.Errorf("tokens volume from %q, the chart's Secret is %q", v.Secret.SecretName, r.secret.Metadata.Name)
			}
		default:
			t.Errorf("unexpected volume %s", v.Name)
		}
	}
	for k, v := range r.service.Spec.Selector {
		if d.Spec.Template.Metadata.Labels[k] != v || d.Spec.Selector.MatchLabels[k] != v {
			t.Errorf("Service selector %s=%s does not select the pods %v", k, v, d.Spec.Template.Metadata.Labels)
		}
	}
}

// tokenFiles returns the *_file paths of a toggl.yml.
func tokenFiles(t *testing.T, toggl string) []string {
	t.Helper()
	var cfg struct {
		APITokenFile string `yaml:"api_token_file"`
		Reports      []struct {
			TokenFile    string `yaml:"token_file"`
			APITokenFile string `yaml:"api_token_file"`
			PasswordFile string `yaml:"password_file"`
		} `yaml:"reports"`
	}
	if err := yaml.Unmarshal([]byte(toggl), &cfg); err != nil {
		t.Fatalf("toggl.yml: %v", err)
	}
	files := []string{cfg.APITokenFile}
	for _, r := range cfg.Reports {
		files = append(files, r.TokenFile, r.APITokenFile, r.PasswordFile)
	}
	return slices.DeleteFunc(files, func(f string) bool { return f == "" })
}

// TestHelmDefaults renders the default values: the four objects, the pod as required, and
// a configuration whose every token file is a key of the Secret. The exporter's
// --config.check (the init container's) refuses the Secret's placeholders, and accepts the
// configuration once they are tokens.
func TestHelmDefaults(t *testing.T) {
	t.Parallel()
	r := helmTemplate(t)
	if want := []string{"ConfigMap", "Deployment", "Secret", "Service"}; !slices.Equal(r.kinds, want) {
		t.Fatalf("kinds %v, want %v", r.kinds, want)
	}
	checkPod(t, r)
	if slices.Contains(r.deployment.Spec.Template.Spec.Containers[0].Args, "--demo") {
		t.Error("--demo by default")
	}
	toggl := r.config.Data["toggl.yml"]
	files := tokenFiles(t, toggl)
	if len(files) == 0 {
		t.Fatal("the default configuration reads no token file")
	}
	dir := t.TempDir()
	for _, f := range files {
		key, ok := strings.CutPrefix(f, "/etc/toggl_exporter/secrets/")
		if !ok || r.secret.StringData[key] == "" {
			t.Errorf("toggl.yml reads %s: no such key in the Secret %v", f, r.secret.StringData)
		}
	}
	cfg := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(toggl, "/etc/toggl_exporter/secrets/", dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(token func(placeholder string) string) (string, error) {
		for key, value := range r.secret.StringData {
			if err := os.WriteFile(filepath.Join(dir, key), []byte(token(value)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return runErr(time.Minute, ".", exporterBinary(t), "--config.check", "--config.file="+cfg)
	}
	out, err := check(func(p string) string { return p })
	if n := strings.Count(out, "_file: not a valid"); err == nil || n != len(r.secret.StringData) {
		t.Errorf("--config.check with the placeholders: %v, %d of %d refused:\n%s", err, n, len(r.secret.StringData), out)
	}
	if out, err := check(func(string) string { return "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5" }); err != nil {
		t.Errorf("--config.check with tokens: %v\n%s", err, out)
	}
}

// TestHelmSchema: values.schema.json rejects a misspelt key at every level the chart
// defines, naming it, and a value of the wrong kind.
func TestHelmSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ values, want string }{
		{"serviceMonitr: {}\n", "serviceMonitr"},
		{"serviceMonitor: {enabeld: true}\n", "enabeld"},
		{"image: {tga: v1}\n", "tga"},
		{"dashboard: {namespce: grafana}\n", "namespce"},
		{"resources: {limit: {memory: 1Gi}}\n", "limit"},
		{"service: {port: http}\n", "port"},
		{"demo: \"yes\"\n", "demo"},
	} {
		out, err := helmTemplateErr(t, writeValues(t, tc.values))
		if err == nil || !strings.Contains(out, "schema") || !strings.Contains(out, tc.want) {
			t.Errorf("values %q: err %v, want a schema error naming %s:\n%s", tc.values, err, tc.want, out)
		}
	}
	// What the chart documents passes (TestHelmEverything renders every part). config is the
	// exporter's toggl.yml: the init container's --config.check checks it, not the schema, so
	// that the chart never lags behind the exporter's keys.
	helmTemplate(t, writeValues(t, "config: {reports: [{name: a, token_file: /x, perod: typo}]}\nsecrets: {a: b}\nextraArgs: [--log.level=debug]\nresources: {limits: {cpu: 1, memory: 1Gi}}\n"))
}

// TestHelmEverything renders every optional part: the ServiceMonitor selects the Service
// and names the job as the alerts expect, the PrometheusRule holds exactly the groups of
// deploy/prometheus/{rules,alerts}.yml, and the dashboard ConfigMap is the dashboard,
// labelled for Grafana's sidecar.
func TestHelmEverything(t *testing.T) {
	t.Parallel()
	r := helmTemplate(t, writeValues(t, everything))
	want := []string{"ConfigMap", "ConfigMap", "Deployment", "PrometheusRule", "ScrapeConfig", "Secret", "Service", "ServiceMonitor"}
	if !slices.Equal(r.kinds, want) {
		t.Fatalf("kinds %v, want %v", r.kinds, want)
	}
	checkPod(t, r)
	if !slices.Contains(r.deployment.Spec.Template.Spec.Containers[0].Args, "--demo") {
		t.Error("demo: true without --demo")
	}

	sm := r.serviceMonitor
	for k, v := range sm.Spec.Selector.MatchLabels {
		if r.service.Metadata.Labels[k] != v {
			t.Errorf("ServiceMonitor selector %s=%s does not match the Service %v", k, v, r.service.Metadata.Labels)
		}
	}
	if job := r.service.Metadata.Labels[sm.Spec.JobLabel]; !regexp.MustCompile(`^toggl.*$`).MatchString(job) {
		t.Errorf("job label %q = %q: TogglExporterDown selects job=~\"toggl.*\"", sm.Spec.JobLabel, job)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v", sm.Spec.Endpoints)
	}
	// The reports come through /probe, discovered at the Service's /sd; the ServiceMonitor
	// then keeps only the exporter's own metrics, so no report is scraped twice.
	sc := r.scrapeConfig
	wantURL := "http://" + r.service.Metadata.Name + ".monitoring.svc:9981/sd"
	if sc == nil || len(sc.Spec.HTTPSDConfigs) != 1 || sc.Spec.HTTPSDConfigs[0].URL != wantURL || !sc.Spec.HonorLabels {
		t.Errorf("probe ScrapeConfig %+v, want honorLabels and http_sd at %s", sc, wantURL)
	} else {
		var job string
		for _, rl := range sc.Spec.Relabelings {
			if rl.TargetLabel == "job" {
				job = rl.Replacement
			}
		}
		if !regexp.MustCompile(`^toggl.*$`).MatchString(job) || sc.Metadata.Labels["release"] != "kube-prometheus-stack" {
			t.Errorf("probe ScrapeConfig job %q, labels %v", job, sc.Metadata.Labels)
		}
	}
	if drop := fmt.Sprint(sm.Spec.Endpoints[0].MetricRelabelings); !strings.Contains(drop, "toggl_(report|api)_.+") || !strings.Contains(drop, "drop") {
		t.Errorf("ServiceMonitor beside the probe ScrapeConfig keeps the reports' metrics: %s", drop)
	}
	for _, l := range []map[string]string{sm.Metadata.Labels, r.prometheusRule.Metadata.Labels} {
		if l["release"] != "kube-prometheus-stack" {
			t.Errorf("labels %v: the values' labels are missing", l)
		}
	}

	var groups []map[string]any
	for _, f := range []string{"rules.yml", "alerts.yml"} {
		var rf struct {
			Groups []map[string]any `yaml:"groups"`
		}
		readYAML(t, filepath.Join(promDir, f), &rf)
		groups = append(groups, rf.Groups...)
	}
	got, _ := yaml.Marshal(r.prometheusRule.Spec.Groups)
	exp, _ := yaml.Marshal(groups)
	if !bytes.Equal(got, exp) {
		t.Errorf("the chart's PrometheusRule differs from deploy/prometheus/{rules,alerts}.yml: run %s", regenerate)
	}

	db := r.dashboard
	if db.Metadata.Labels["grafana_dashboard"] != "1" || db.Metadata.Namespace != "grafana" {
		t.Errorf("dashboard ConfigMap %+v: want label grafana_dashboard: \"1\" in the namespace asked for", db.Metadata)
	}
	source, err := os.ReadFile("grafana/dashboards/toggl-exporter.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(db.Data["toggl-exporter.json"]) != strings.TrimSpace(string(source)) {
		t.Errorf("the chart's dashboard differs from deploy/grafana/dashboards/toggl-exporter.json: run %s", regenerate)
	}
	if !json.Valid([]byte(db.Data["toggl-exporter.json"])) {
		t.Error("the dashboard ConfigMap holds invalid JSON")
	}
}

// TestHelmSecrets: tokens given in the values reach the Secret and no ConfigMap; an
// existingSecret renders no Secret and is the one mounted; a token written inline in the
// configuration is refused, naming where, while a ${VAR} reference is not a secret.
func TestHelmSecrets(t *testing.T) {
	t.Parallel()
	const apiToken, reportToken = "apiSECRETtokenHELM0123456789abcd", "tokSECREThelmREPORT0123456789ab"
	r := helmTemplate(t, writeValues(t, everything+`
secrets:
  api-token: `+apiToken+`
  team-week: `+reportToken+`
`))
	if r.secret.StringData["api-token"] != apiToken || r.secret.StringData["team-week"] != reportToken {
		t.Errorf("Secret %v", r.secret.StringData)
	}
	for _, cm := range []*configMap{r.config, r.dashboard} {
		for k, v := range cm.Data {
			if strings.Contains(v, apiToken) || strings.Contains(v, reportToken) {
				t.Errorf("ConfigMap %s, %s: holds a token", cm.Metadata.Name, k)
			}
		}
	}

	r = helmTemplate(t, writeValues(t, "existingSecret: my-toggl-tokens\n"))
	if r.secret != nil {
		t.Error("existingSecret set, and the chart still renders a Secret")
	}
	checkPod(t, r)
	for _, v := range r.deployment.Spec.Template.Spec.Volumes {
		if v.Name == "tokens" && v.Secret.SecretName != "my-toggl-tokens" {
			t.Errorf("tokens volume from %q, want the existingSecret", v.Secret.SecretName)
		}
	}

	for _, tc := range []struct{ values, where string }{
		{"config:\n  reports:\n    - name: a\n      token: tokINLINEsecret0123456789\n", "config.reports[0].token"},
		{"config:\n  api_token: apiINLINEsecret0123456789\n  reports: [{name: a}]\n", "config.api_token"},
		{"config:\n  reports:\n    - {name: a, email: a@example.com, password: hunter2hunter2hunter2}\n", "config.reports[0].password"},
	} {
		out, err := helmTemplateErr(t, writeValues(t, tc.values))
		if err == nil || !strings.Contains(out, tc.where+": a secret in config would be stored in a ConfigMap") {
			t.Errorf("%s inline: err %v\n%s", tc.where, err, out)
		}
		if strings.Contains(out, "INLINEsecret") || strings.Contains(out, "hunter2") {
			t.Errorf("%s: helm's error quotes the secret", tc.where)
		}
	}
	if _, err := helmTemplateErr(t, writeValues(t, "config:\n  reports:\n    - {name: a, token: '${A_TOKEN}'}\n")); err != nil {
		t.Errorf("a ${VAR} token is refused: %v", err)
	}
}

// TestHelmChangesRollPods: the pod template's checksums follow the configuration and the
// Secret, so that helm upgrade rolls the pods exactly when one of them changed.
func TestHelmChangesRollPods(t *testing.T) {
	t.Parallel()
	annotations := func(values string) map[string]string {
		return helmTemplate(t, writeValues(t, values)).deployment.Spec.Template.Metadata.Annotations
	}
	base := annotations("")
	if again := annotations(""); again["checksum/config"] != base["checksum/config"] || again["checksum/secret"] != base["checksum/secret"] {
		t.Errorf("the same values give other checksums: %v, %v", base, again)
	}
	cfg := annotations("config:\n  min_refresh_interval: 10m\n  reports: [{name: a, token_file: /etc/toggl_exporter/secrets/a}]\n")
	if cfg["checksum/config"] == base["checksum/config"] {
		t.Error("a configuration change leaves checksum/config unchanged")
	}
	sec := annotations("secrets: {api-token: anotherTOKEN0123456789abcdef, team-week: anotherREPORT0123456789abcdef}\n")
	if sec["checksum/secret"] == base["checksum/secret"] || sec["checksum/config"] != base["checksum/config"] {
		t.Errorf("a token change: %v, before %v", sec, base)
	}
}

// helmNotes renders the chart's NOTES.txt with the values files given. helm template leaves
// the notes out and helm install needs a cluster, so a copy of the chart renders them as
// data of a ConfigMap, through tpl with the same values and named templates.
func helmNotes(t *testing.T, values ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "toggl-exporter")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	notes, err := os.ReadFile(filepath.Join(chartDir, "templates", "NOTES.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"files/notes.txt":         string(notes),
		"templates/zz-notes.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ tpl (.Files.Get \"files/notes.txt\") . | toJson }}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"template", "toggl", dir, "--namespace", "monitoring", "--show-only", "templates/zz-notes.yaml"}
	for _, v := range values {
		args = append(args, "--values", v)
	}
	var cm configMap
	if err := yaml.Unmarshal([]byte(run(t, 2*time.Minute, ".", needTool(t, "helm"), args...)), &cm); err != nil {
		t.Fatal(err)
	}
	return cm.Data["notes"]
}

// TestHelmNotes: after install, the notes say how to reach the exporter, why the pod may
// wait at Init, what scrapes it and where the dashboard is, for the defaults and with every
// part on.
func TestHelmNotes(t *testing.T) {
	t.Parallel()
	const svc = "toggl-toggl-exporter"
	for _, tc := range []struct {
		name, values string
		want, not    []string
	}{
		{"defaults", "", []string{
			"kubectl -n monitoring port-forward svc/" + svc + " 9981",
			"http://" + svc + ".monitoring.svc:9981/metrics",
			"kubectl -n monitoring logs deploy/" + svc + " -c config-check",
			"nothing scrapes the exporter yet: set serviceMonitor.enabled=true",
			"import deploy/grafana/dashboards/toggl-exporter.json",
			"kind load docker-image ghcr.io/toggl-exporter/toggl_exporter:v" + version(t) + ")",
			`The Secret's "api-token" is still a placeholder`,
			`The Secret's "team-week" is still a placeholder`,
		}, []string{"Demo mode"}},
		{"everything", everything, []string{
			"kubectl -n monitoring port-forward svc/" + svc + " 9981",
			"Demo mode",
			"the ServiceMonitor " + svc + " scrapes /metrics",
			"the ConfigMap " + svc + "-dashboard in namespace grafana",
			`open the dashboard "Toggl Track"`,
		}, []string{"config-check", "placeholder", "nothing scrapes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			notes := helmNotes(t, writeValues(t, tc.values))
			for _, w := range tc.want {
				if !strings.Contains(notes, w) {
					t.Errorf("the notes do not say %q:\n%s", w, notes)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(notes, n) {
					t.Errorf("the notes say %q:\n%s", n, notes)
				}
			}
		})
	}
}
