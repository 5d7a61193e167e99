package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCommittedFilesAreUpToDate fails when deploy/prometheus/{rules,alerts}.yml or the
// dashboard changed without regenerating the kustomize PrometheusRule and the chart's copies.
func TestCommittedFilesAreUpToDate(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := render(root)
	if err != nil || len(files) != 3 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run go generate ./deploy/... and commit it", path)
		}
	}
}

// TestGeneratedRulesAreTheSources checks the PrometheusRule's groups against the rule files,
// decoded: what Kubernetes gets is exactly what Prometheus loads.
func TestGeneratedRulesAreTheSources(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := render(root)
	if err != nil {
		t.Fatal(err)
	}
	out := files[output]
	var rule struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			Groups []map[string]any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(out, &rule); err != nil {
		t.Fatal(err)
	}
	if rule.APIVersion != "monitoring.coreos.com/v1" || rule.Kind != "PrometheusRule" || rule.Metadata.Name == "" {
		t.Fatalf("header: %s %s %q", rule.APIVersion, rule.Kind, rule.Metadata.Name)
	}
	var want []map[string]any
	for _, src := range sources {
		var f struct {
			Groups []map[string]any `yaml:"groups"`
		}
		data, err := os.ReadFile(filepath.Join(root, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		want = append(want, f.Groups...)
	}
	gotY, _ := yaml.Marshal(rule.Spec.Groups)
	wantY, _ := yaml.Marshal(want)
	if !bytes.Equal(gotY, wantY) {
		t.Fatalf("groups differ:\n got: %s\nwant: %s", gotY, wantY)
	}
}

func TestRuleGroupsRejectsBadFiles(t *testing.T) {
	for name, in := range map[string]string{
		"not a mapping": "- a\n",
		"no groups":     "rules: []\n",
		"empty groups":  "groups: []\n",
		"no name":       "groups:\n  - rules:\n      - record: a\n        expr: b\n",
		"no rules":      "groups:\n  - name: x\n",
		"invalid yaml":  "groups: [\n",
		"group twice":   "groups:\n  - name: x\n    rules:\n      - record: a\n        expr: b\n",
	} {
		if _, err := ruleGroups("test.yml", []byte(in), map[string]string{"x": "rules.yml"}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
