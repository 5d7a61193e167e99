package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// kustomizeBuild renders a kustomization with `kubectl kustomize` or, without kubectl,
// `kustomize build`, and returns its objects.
func kustomizeBuild(t *testing.T, dir string) []map[string]any {
	t.Helper()
	tool := needTool(t, "kubectl", "kustomize")
	args := []string{"build", dir}
	if filepath.Base(tool) == "kubectl" {
		args = []string{"kustomize", dir}
	}
	out := run(t, 2*time.Minute, ".", tool, args...)
	var objs []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s output: %v", dir, err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

// get walks a decoded YAML tree: keys for maps, ints for lists; nil when absent.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// byKind indexes objects by kind; each kind must appear once.
func byKind(t *testing.T, objs []map[string]any) map[string]map[string]any {
	t.Helper()
	m := map[string]map[string]any{}
	for _, o := range objs {
		k := str(o["kind"])
		if _, dup := m[k]; dup {
			t.Errorf("two objects of kind %s", k)
		}
		m[k] = o
	}
	return m
}

// hardened tells whether a container's securityContext has a read-only root, no privilege
// escalation and no capabilities.
func hardened(c any) bool {
	sc := get(c, "securityContext")
	return get(sc, "readOnlyRootFilesystem") == true && get(sc, "allowPrivilegeEscalation") == false &&
		slices.Equal(toStrings(get(sc, "capabilities", "drop")), []string{"ALL"})
}

// mountsOf returns a container's volume mounts, name -> mount path.
func mountsOf(c any) map[string]string {
	mounts := map[string]string{}
	for _, m := range toList(get(c, "volumeMounts")) {
		mounts[str(get(m, "name"))] = str(get(m, "mountPath"))
	}
	return mounts
}

func toList(v any) []any { l, _ := v.([]any); return l }

// checkKustomizePod checks the pod template shared by every workload of the base and the overlays:
// non-root, hardened, probes, resources, the image of the release. It returns the exporter's
// container.
func checkKustomizePod(t *testing.T, w map[string]any) any {
	t.Helper()
	kind := str(w["kind"])
	pod := get(w, "spec", "template", "spec")
	if get(pod, "securityContext", "runAsNonRoot") != true || str(get(pod, "securityContext", "runAsUser")) != "65534" {
		t.Errorf("%s: pod securityContext %v", kind, get(pod, "securityContext"))
	}
	if get(pod, "automountServiceAccountToken") != false {
		t.Errorf("%s: the exporter needs no service account token", kind)
	}
	containers := toList(get(pod, "containers"))
	if len(containers) != 1 {
		t.Fatalf("%s: %d containers", kind, len(containers))
	}
	c := containers[0]
	if img := str(get(c, "image")); !regexp.MustCompile(`^ghcr\.io/toggl-exporter/toggl_exporter:[\w.-]+$`).MatchString(img) {
		t.Errorf("%s: image %q", kind, img)
	}
	if !hardened(c) {
		t.Errorf("%s: container securityContext %v", kind, get(c, "securityContext"))
	}
	for _, r := range []string{"requests", "limits"} {
		if get(c, "resources", r, "memory") == nil {
			t.Errorf("%s: no memory %s", kind, r)
		}
	}
	if str(get(c, "ports", 0, "containerPort")) != "9981" || str(get(c, "ports", 0, "name")) != "http" {
		t.Errorf("%s: ports %v", kind, get(c, "ports"))
	}
	for probe, path := range map[string]string{"livenessProbe": "/-/healthy", "readinessProbe": "/-/ready"} {
		if str(get(c, probe, "httpGet", "path")) != path || str(get(c, probe, "httpGet", "port")) != "http" {
			t.Errorf("%s: %s %v, want GET %s on http", kind, probe, get(c, probe), path)
		}
	}
	return c
}

// checkWorkload checks the pod of the base's Deployment and of the sharded StatefulSet: the
// common pod, the configuration and the Secret mounted where toggl.yml reads them, and an init
// container checking both before the exporter starts.
func checkWorkload(t *testing.T, w map[string]any, objs map[string]map[string]any) {
	t.Helper()
	kind := str(w["kind"])
	pod := get(w, "spec", "template", "spec")
	c := checkKustomizePod(t, w)
	const configFlag = "--config.file=/etc/toggl_exporter/toggl.yml"
	if !slices.Contains(toStrings(get(c, "args")), configFlag) {
		t.Errorf("%s: args %v", kind, get(c, "args"))
	}
	// volumes point at the generated ConfigMap (hashed name) and the Secret
	cm, secret := objs["ConfigMap"], objs["Secret"]
	vols := map[string]any{}
	for _, v := range toList(get(pod, "volumes")) {
		vols[str(get(v, "name"))] = v
	}
	if got, want := str(get(vols["config"], "configMap", "name")), str(get(cm, "metadata", "name")); got != want {
		t.Errorf("%s: config volume from ConfigMap %q, want %q", kind, got, want)
	}
	if got, want := str(get(vols["tokens"], "secret", "secretName")), str(get(secret, "metadata", "name")); got != want {
		t.Errorf("%s: tokens volume from Secret %q, want %q", kind, got, want)
	}
	mounts := mountsOf(c)
	if mounts["config"] != "/etc/toggl_exporter/toggl.yml" || mounts["tokens"] != "/etc/toggl_exporter/secrets" {
		t.Errorf("%s: mounts %v", kind, mounts)
	}
	// the init container checks the same configuration with the same tokens, same image
	inits := toList(get(pod, "initContainers"))
	if len(inits) != 1 {
		t.Fatalf("%s: %d init containers, want the configuration check", kind, len(inits))
	}
	ic := inits[0]
	if args := toStrings(get(ic, "args")); !slices.Equal(args, []string{"--config.check", configFlag}) {
		t.Errorf("%s: init container args %v, want --config.check %s", kind, args, configFlag)
	}
	if str(get(ic, "image")) != str(get(c, "image")) || !maps.Equal(mountsOf(ic), mounts) || !hardened(ic) ||
		get(ic, "resources", "limits", "memory") == nil {
		t.Errorf("%s: init container %v: want the exporter's image, mounts and securityContext, and a memory limit", kind, ic)
	}
	// every *_file of the configuration is a key of the Secret
	var cfg struct {
		APITokenFile string `yaml:"api_token_file"`
		Reports      []struct {
			Name      string `yaml:"name"`
			TokenFile string `yaml:"token_file"`
		} `yaml:"reports"`
	}
	if err := yaml.Unmarshal([]byte(str(get(cm, "data", "toggl.yml"))), &cfg); err != nil {
		t.Fatalf("ConfigMap toggl.yml: %v", err)
	}
	files := []string{cfg.APITokenFile}
	for _, r := range cfg.Reports {
		files = append(files, r.TokenFile)
	}
	for _, f := range files {
		key, ok := strings.CutPrefix(f, mounts["tokens"]+"/")
		if !ok || get(secret, "stringData", key) == nil {
			t.Errorf("toggl.yml reads %q: no such key in the Secret mounted at %s", f, mounts["tokens"])
		}
	}
	checkService(t, w, objs)
}

// checkService checks that the Service selects the pods of w, is named as the alerts expect,
// and is what the ServiceMonitor (if any) selects.
func checkService(t *testing.T, w map[string]any, objs map[string]map[string]any) {
	t.Helper()
	podLabels := get(w, "spec", "template", "metadata", "labels").(map[string]any)
	for k, v := range get(objs["Service"], "spec", "selector").(map[string]any) {
		if podLabels[k] != v {
			t.Errorf("Service selector %s=%v does not match the pods %v", k, v, podLabels)
		}
	}
	if sm := objs["ServiceMonitor"]; sm != nil {
		svcLabels := get(objs["Service"], "metadata", "labels").(map[string]any)
		for k, v := range get(sm, "spec", "selector", "matchLabels").(map[string]any) {
			if svcLabels[k] != v {
				t.Errorf("ServiceMonitor selector %s=%v does not match the Service %v", k, v, svcLabels)
			}
		}
	}
	if !strings.HasPrefix(str(get(objs["Service"], "metadata", "name")), "toggl") {
		t.Error("the Service's name is the job label: TogglExporterDown selects job=~\"toggl.*\"")
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	var s []string
	for _, x := range l {
		s = append(s, str(x))
	}
	return s
}

func kinds(objs []map[string]any) []string {
	var ks []string
	for _, o := range objs {
		ks = append(ks, str(o["kind"]))
	}
	sort.Strings(ks)
	return ks
}

// operatorKinds are the kinds that need the Prometheus Operator's CRDs.
var operatorKinds = []string{"PodMonitor", "Probe", "PrometheusRule", "ScrapeConfig", "ServiceMonitor"}

// TestKustomizeBase renders the base and checks it structurally: the exporter alone, which
// any cluster can apply (no CRD).
func TestKustomizeBase(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "kubernetes/base")
	want := []string{"ConfigMap", "Deployment", "Secret", "Service"}
	if got := kinds(objs); !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v (the Operator's objects belong in overlays/prometheus-operator)", got, want)
	}
	m := byKind(t, objs)
	checkWorkload(t, m["Deployment"], m)
	if str(get(m["Service"], "spec", "ports", 0, "port")) != "9981" {
		t.Errorf("Service ports %v", get(m["Service"], "spec", "ports"))
	}
}

// TestKustomizePrometheusOperator renders the overlay for the Prometheus Operator: the base
// plus a ServiceMonitor of the Service and the PrometheusRule holding exactly the rule files'
// groups.
func TestKustomizePrometheusOperator(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "kubernetes/overlays/prometheus-operator")
	want := []string{"ConfigMap", "Deployment", "PrometheusRule", "Secret", "Service", "ServiceMonitor"}
	if got := kinds(objs); !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	m := byKind(t, objs)
	checkWorkload(t, m["Deployment"], m)
	ep := get(m["ServiceMonitor"], "spec", "endpoints", 0)
	if str(get(ep, "port")) != "http" || str(get(ep, "path")) != "/metrics" {
		t.Errorf("ServiceMonitor endpoint %v", ep)
	}

	var want2 []any
	for _, f := range []string{"rules.yml", "alerts.yml"} {
		var rf map[string]any
		readYAML(t, filepath.Join(promDir, f), &rf)
		want2 = append(want2, rf["groups"].([]any)...)
	}
	got, _ := yaml.Marshal(get(m["PrometheusRule"], "spec", "groups"))
	exp, _ := yaml.Marshal(want2)
	if !bytes.Equal(got, exp) {
		t.Error("PrometheusRule groups differ from deploy/prometheus/{rules,alerts}.yml: run go generate ./deploy/...")
	}
}

// TestKustomizeDemo renders the demo overlay: no Secret, nothing that needs a CRD, nothing
// mounted from a Secret, no configuration check; and the exporter, run with the rendered
// arguments, serves the demo's reports.
func TestKustomizeDemo(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "kubernetes/overlays/demo")
	for _, o := range objs {
		if k := str(o["kind"]); k == "Secret" || slices.Contains(operatorKinds, k) || strings.Contains(str(o["apiVersion"]), "monitoring.coreos.com") {
			t.Errorf("the demo overlay renders a %s %s: it must need no Secret and no CRD", k, get(o, "metadata", "name"))
		}
	}
	m := byKind(t, objs)
	d := m["Deployment"]
	if d == nil || m["Service"] == nil {
		t.Fatalf("kinds %v, want a Deployment and its Service", kinds(objs))
	}
	c := checkKustomizePod(t, d)
	checkService(t, d, m)
	pod := get(d, "spec", "template", "spec")
	if n := len(toList(get(pod, "initContainers"))); n != 0 {
		t.Errorf("%d init containers: --demo reads no configuration to check", n)
	}
	for _, v := range toList(get(pod, "volumes")) {
		if get(v, "secret") != nil {
			t.Errorf("volume %v from a Secret", get(v, "name"))
		}
	}
	args := toStrings(get(c, "args"))
	if !slices.Contains(args, "--demo") {
		t.Fatalf("args %v: no --demo", args)
	}

	// The rendered arguments, but for the address, run the demo.
	addr := "127.0.0.1:" + freePort(t)
	for i, a := range args {
		if strings.HasPrefix(a, "--web.listen-address=") {
			args[i] = "--web.listen-address=" + addr
		}
	}
	p := start(t, "exporter", cleanEnv(), exporterBinary(t), args...)
	waitHTTP(t, p, "http://"+addr+"/-/ready", time.Minute)
}

// shardedObjects returns the sharded overlay's objects by kind, the report names of its
// configuration and the replicas of its StatefulSet.
func shardedObjects(t *testing.T) (objs map[string]map[string]any, reports []string, replicas int) {
	t.Helper()
	list := kustomizeBuild(t, "kubernetes/overlays/sharded")
	want := []string{"ConfigMap", "PrometheusRule", "ScrapeConfig", "Secret", "Service", "StatefulSet"}
	if got := kinds(list); !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v (no ServiceMonitor: /metrics would fetch every report on every replica)", got, want)
	}
	objs = byKind(t, list)
	var cfg struct {
		Reports []struct{ Name string } `yaml:"reports"`
	}
	if err := yaml.Unmarshal([]byte(str(get(objs["ConfigMap"], "data", "toggl.yml"))), &cfg); err != nil {
		t.Fatal(err)
	}
	for _, r := range cfg.Reports {
		reports = append(reports, r.Name)
	}
	fmt.Sscan(str(get(objs["StatefulSet"], "spec", "replicas")), &replicas)
	return objs, reports, replicas
}

// TestKustomizeSharded renders the sharded overlay: a StatefulSet of several replicas with
// the base's pod behind a headless Service (a name per replica), and one ScrapeConfig that
// discovers the reports from the exporter's /sd and hashes them over as many replicas as
// there are. No report is listed outside toggl.yml.
func TestKustomizeSharded(t *testing.T) {
	t.Parallel()
	objs, _, replicas := shardedObjects(t)
	ss, svc, sc := objs["StatefulSet"], objs["Service"], objs["ScrapeConfig"]
	name, svcName := str(get(ss, "metadata", "name")), str(get(svc, "metadata", "name"))
	if replicas < 2 || str(get(ss, "spec", "serviceName")) != svcName || str(get(svc, "spec", "clusterIP")) != "None" {
		t.Errorf("StatefulSet replicas %d, serviceName %q; Service %s clusterIP %q: want a headless Service naming the replicas",
			replicas, get(ss, "spec", "serviceName"), svcName, get(svc, "spec", "clusterIP"))
	}
	checkWorkload(t, ss, objs)

	if str(get(sc, "spec", "honorLabels")) != "true" {
		t.Error("ScrapeConfig: honorLabels must be true (the report label would come twice)")
	}
	sd := get(sc, "spec", "httpSDConfigs").([]any)
	if len(sd) != 1 || str(get(sd[0], "url")) != "http://"+svcName+":9981/sd" {
		t.Errorf("ScrapeConfig httpSDConfigs %v, want the Service's /sd", sd)
	}
	var sawHash, sawAddress, sawJob bool
	for _, r := range get(sc, "spec", "relabelings").([]any) {
		switch {
		case str(get(r, "action")) == "hashmod":
			sawHash = str(get(r, "modulus")) == fmt.Sprint(replicas)
		case str(get(r, "targetLabel")) == "__address__":
			sawAddress = str(get(r, "replacement")) == name+"-$1."+svcName+":9981"
		case str(get(r, "targetLabel")) == "job":
			sawJob = regexp.MustCompile(`^toggl.*$`).MatchString(str(get(r, "replacement")))
		}
	}
	if !sawHash || !sawAddress || !sawJob {
		t.Errorf("ScrapeConfig relabelings: hashmod over %d replicas %v, address of that replica %v, job toggl* %v", replicas, sawHash, sawAddress, sawJob)
	}
}

// startPrometheus runs Debian's Prometheus on loopback with the configuration at cfg and
// returns its base URL.
func startPrometheus(t *testing.T, cfg string, extra ...string) string {
	t.Helper()
	prom := needTool(t, "prometheus")
	port := freePort(t)
	args := append([]string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + filepath.Join(t.TempDir(), "data"),
		"--web.listen-address=127.0.0.1:" + port,
		"--log.level=warn",
	}, extra...)
	p := start(t, "prometheus", nil, prom, args...)
	url := "http://127.0.0.1:" + port
	waitHTTP(t, p, url+"/-/ready", time.Minute)
	return url
}

// relabelKeys maps the Prometheus Operator's relabeling fields to Prometheus'.
var relabelKeys = map[string]string{
	"sourceLabels": "source_labels", "separator": "separator", "targetLabel": "target_label",
	"regex": "regex", "modulus": "modulus", "replacement": "replacement", "action": "action",
}

// TestShardingRelabeling runs the sharded overlay's ScrapeConfig in a real Prometheus, its
// targets discovered from a real exporter's /sd serving the overlay's reports: every report
// must be sent to exactly one replica, the one its hash names, with instance = report, and
// the example's reports must use every replica.
func TestShardingRelabeling(t *testing.T) {
	t.Parallel()
	objs, reports, replicas := shardedObjects(t)
	sc := objs["ScrapeConfig"]
	var relabel []any
	for _, r := range get(sc, "spec", "relabelings").([]any) {
		pr := map[string]any{}
		for k, v := range r.(map[string]any) {
			pk, ok := relabelKeys[k]
			if !ok {
				t.Fatalf("relabeling field %q unknown to this test", k)
			}
			pr[pk] = v
		}
		relabel = append(relabel, pr)
	}
	addr := startSDExporter(t, reports)
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	writeYAML(t, cfg, map[string]any{"scrape_configs": []any{map[string]any{
		"job_name":        "shards",
		"honor_labels":    true,
		"scrape_interval": "1h", // only target selection matters here
		"http_sd_configs": []any{map[string]any{"url": "http://" + addr + "/sd", "refresh_interval": "1s"}},
		"relabel_configs": relabel,
	}}})
	url := startPrometheus(t, cfg)

	var resp struct {
		Data struct {
			ActiveTargets []struct {
				Labels           map[string]string `json:"labels"`
				DiscoveredLabels map[string]string `json:"discoveredLabels"`
				ScrapeURL        string            `json:"scrapeUrl"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := getJSON(url+"/api/v1/targets?state=active", &resp)
		if err == nil && len(resp.Data.ActiveTargets) >= len(reports) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets: %v, %d active", err, len(resp.Data.ActiveTargets))
		}
		time.Sleep(300 * time.Millisecond)
	}
	name := str(get(objs["StatefulSet"], "metadata", "name"))
	kept := map[string][]string{}
	shards := map[string]bool{}
	pod := regexp.MustCompile(`^http://(` + name + `-\d+)\.[^/]+/probe\?report=(.+)$`)
	for _, tg := range resp.Data.ActiveTargets {
		m := pod.FindStringSubmatch(tg.ScrapeURL)
		if m == nil {
			t.Errorf("target %s: not /probe on one replica", tg.ScrapeURL)
			continue
		}
		kept[m[2]] = append(kept[m[2]], m[1])
		shards[m[1]] = true
		if tg.Labels["instance"] != m[2] || tg.Labels["job"] != "toggl-exporter" {
			t.Errorf("report %s: labels %v, want instance = the report and job toggl-exporter", m[2], tg.Labels)
		}
	}
	for _, r := range reports {
		if len(kept[r]) != 1 {
			t.Errorf("report %s sent to %v, want exactly one replica", r, kept[r])
		}
	}
	// The example's report names are chosen to land on different replicas.
	if len(shards) != replicas {
		t.Errorf("reports on replicas %v: the example should use all %d replicas", kept, replicas)
	}
}
