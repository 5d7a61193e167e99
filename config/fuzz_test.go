package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	fuzzFileSecret = "fuzzfilesecret7c1d9e"
	fuzzEnvSecret  = "fuzzenvsecret40b2aa"
)

// FuzzParse feeds arbitrary YAML to the decoder: it must never panic,
// never show a secret in an error, and whatever it accepts must render
// redacted and give JSON-ready request bodies.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"full.yml", "minimal.yml", "merge.yml", "unknown-keys.yml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Secrets never touch the disk or the process environment here: every
	// file holds fuzzFileSecret (except "missing"), every variable except
	// UNSET holds fuzzEnvSecret.
	readFile := func(p string) ([]byte, error) {
		if strings.Contains(p, "missing") {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return []byte(" " + fuzzFileSecret + "\n"), nil
	}
	lookupEnv := func(k string) (string, bool) {
		if k == "UNSET" {
			return "", false
		}
		return fuzzEnvSecret, true
	}
	now := time.Date(2024, 3, 31, 1, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, "/conf", lookupEnv, readFile)
		mentions := strings.Contains(string(data), "fuzz")
		if err != nil {
			if c != nil {
				t.Fatal("config and error")
			}
			if !mentions && (strings.Contains(err.Error(), fuzzFileSecret) || strings.Contains(err.Error(), fuzzEnvSecret)) {
				t.Fatalf("error shows a secret: %v", err)
			}
			return
		}
		out, err := c.Redacted()
		if err != nil {
			t.Fatalf("Redacted: %v", err)
		}
		if !mentions && (strings.Contains(string(out), fuzzFileSecret) || strings.Contains(string(out), fuzzEnvSecret)) {
			t.Fatalf("Redacted shows a secret:\n%s", out)
		}
		if len(c.Reports) == 0 {
			t.Fatal("accepted a config without reports")
		}
		for i := range c.Reports {
			r := &c.Reports[i]
			if r.Resolved.Location == nil || r.Resolved.Token == "" || r.Name == "" {
				t.Fatalf("incomplete report: %+v", r)
			}
			if _, err := json.Marshal(r.Body(now)); err != nil {
				t.Fatalf("Body does not marshal: %v", err)
			}
		}
		// Whatever was accepted is accepted again, identically.
		c2, err := parse(data, "/conf", lookupEnv, readFile)
		if err != nil || c2.fingerprint != c.fingerprint {
			t.Fatalf("not deterministic: %v", err)
		}
		if errors.Is(err, fs.ErrNotExist) {
			t.Fatal("unreachable")
		}
	})
}
