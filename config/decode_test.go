package config

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestYAMLMistakes checks the messages for what YAML makes of values that
// start with one of its indicators: each names the line, the key and the
// mistake, and none holds the value (every value here holds S3cret).
func TestYAMLMistakes(t *testing.T) {
	const head = "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    email: a@example.com\n"
	tests := []struct {
		name, config, want string
	}{
		// Issue 10: yaml.v3 says "unknown anchor 'S3cret' referenced".
		{"undefined alias", head + "    password: *S3cret\n",
			`line 5: password: an unquoted value cannot start with '*'; quote it`},
		{"undefined alias in a flow mapping", "reports:\n  - {name: a, token: *S3cretToken}\n",
			`line 2: cannot parse the YAML here (quote values that start with * & ! | > % @ or a backtick)`},
		// Issue 10: yaml.v3 quotes the value of a failed !!null.
		{"tag", head + "    password: !!null S3cret\n",
			`reports[0] "a": line 5: password: an unquoted value cannot start with '!'; quote it`},
		{"custom tag", head + "    password: !S3cret\n",
			`reports[0] "a": line 5: password: an unquoted value cannot start with '!'; quote it`},
		{"alias to a list", "x: &S3cret [1]\n" + head + "    password: *S3cret\n",
			`reports[0] "a": line 6: password: expected a string, got a list`},
		{"alias to a scalar", "reports:\n  - name: a\n    token: &t S3cretS3cretS3cretS3cret\n  - name: b\n    token: *t\n",
			`reports[0] "a": line 3: token: an unquoted value cannot start with '&'; quote it`},
		{"reserved @", head + "    password: @S3cret\n",
			`line 5: password: an unquoted value cannot start with '@'; quote it`},
		{"reserved backtick", head + "    password: `S3cret\n",
			"line 5: password: an unquoted value cannot start with '`'; quote it"},
		{"block scalar", head + "    password: |S3cret\n",
			`line 5: password: an unquoted value cannot start with '|'; quote it`},
		{"directive", head + "    password: %S3cret\n",
			`line 5: password: an unquoted value cannot start with '%'; quote it`},
		{"unterminated quote", head + "    password: 'S3cret\n",
			`line 5: cannot parse the YAML here (quote values that start with * & ! | > % @ or a backtick)`},
		{"tab", "reports:\n\t- name: S3cret\n", `line 2: a tab in the indentation; indent with spaces`},
		{"block scalar, then a mistake", head + "    password: |\n      S3cret\n   bad: S3cret\n",
			`line 7: cannot parse the YAML here (quote values that start with * & ! | > % @ or a backtick)`},
		{"tag in a list", head + "    password: x\n    breakdowns: [!!str S3cret]\n",
			`reports[0] "a": line 6: breakdowns[0]: an unquoted value cannot start with '!'; quote it`},
		{"tag in params", head + "    password: x\n    params: {description: !!binary S3cret}\n",
			`reports[0] "a": line 6: params.description: an unquoted value cannot start with '!'; quote it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Through Load, the path of --config.check, the start and reloads.
			_, err := Load(writeConfig(t, tt.config, nil), envMap(nil))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errorLines(err); !slices.Contains(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), tt.want)
			}
			if strings.Contains(err.Error(), "S3cret") {
				t.Errorf("the error quotes the value: %v", err)
			}
		})
	}
}

// TestErrorsNeverQuoteValues is the property behind the messages: whatever
// value of whatever key an input holds (other than a report's name and a
// file path, which errors name on purpose), written plainly or after any
// YAML indicator, no error quotes it. The inputs are the fixtures, the fuzz
// corpus and the configurations of TestLoadErrors' table.
func TestErrorsNeverQuoteValues(t *testing.T) {
	inputs := loadErrorConfigs()
	for _, dir := range []string{"testdata", "testdata/fuzz/FuzzParse"} {
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				continue // a directory
			}
			if s, ok := strings.CutPrefix(string(data), "go test fuzz v1\n[]byte("); ok {
				q, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(s), ")"))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				data = []byte(q)
			}
			inputs = append(inputs, string(data))
		}
	}
	const marker = "Zq9SecretValue7xZq9SecretValue7x"
	readFile := func(string) ([]byte, error) { return []byte(marker + "file"), nil }
	lookupEnv := func(string) (string, bool) { return marker + "env", true }
	tried := 0
	for _, in := range inputs {
		var root yaml.Node
		if yaml.Unmarshal([]byte(in), &root) != nil {
			continue
		}
		lines := strings.Split(in, "\n")
		for _, v := range plainValues(&root, "") {
			line := lines[v.Line-1]
			col := v.Column - 1
			if col+len(v.Value) > len(line) || line[col:col+len(v.Value)] != v.Value {
				continue
			}
			for _, prefix := range []string{"", "*", "&", "!!null ", "!x ", "@", "`", "|", "%", "'"} {
				lines[v.Line-1] = line[:col] + prefix + marker + line[col+len(v.Value):]
				_, err := parse([]byte(strings.Join(lines, "\n")), "/conf", lookupEnv, readFile)
				tried++
				if err != nil && strings.Contains(err.Error(), "Zq9Secret") {
					t.Errorf("an error quotes a value:\n%s\n---\n%v", strings.Join(lines, "\n"), err)
				}
			}
			lines[v.Line-1] = line
		}
	}
	if tried < 1000 {
		t.Errorf("only %d variants tried", tried)
	}
}

// plainValues lists the plain, single-line scalar values under n, except
// those of keys that errors name on purpose (a report's name, file paths).
func plainValues(n *yaml.Node, key string) []*yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style == 0 && n.Value != "" && !strings.ContainsAny(n.Value, "\n$") && key != "name" && !strings.HasSuffix(key, "_file") {
			return []*yaml.Node{n}
		}
	case yaml.MappingNode:
		var out []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, plainValues(n.Content[i+1], n.Content[i].Value)...)
		}
		return out
	case yaml.DocumentNode, yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range n.Content {
			out = append(out, plainValues(c, key)...)
		}
		return out
	}
	return nil
}

func TestDecodeEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "~\n", "---\n"} {
		if err := decode([]byte(in), &Config{}); err == nil || !strings.HasPrefix(err.Error(), "reports: required (the configuration is empty") {
			t.Errorf("%q: %v, want an empty configuration", in, err)
		}
	}
}
