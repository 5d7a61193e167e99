package config

import (
	"testing"

	"github.com/alecthomas/units"
	"go.yaml.in/yaml/v3"
)

func TestBytes(t *testing.T) {
	for in, want := range map[string]units.Base2Bytes{
		"64MiB": 64 << 20, "500KB": 500 << 10, "500KiB": 500 << 10, "1024": 1024, "0": 0, "1.5KiB": 1536,
		"2GB": 2 << 30, " 7 ": 7, "1B": 1,
	} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "64XB", "MiB", "64 MiB", "1kB", "100EiB", "1e3"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
	for b, want := range map[units.Base2Bytes]string{64 << 20: "64MiB", 512000: "500KiB", 1000: "1000B", 0: "0B"} {
		if b.String() != want {
			t.Errorf("%d.String() = %q, want %q", int64(b), b.String(), want)
		}
		out, err := yaml.Marshal(struct{ B units.Base2Bytes }{b})
		if err != nil || string(out) != "b: "+want+"\n" {
			t.Errorf("yaml of %d: %q %v", int64(b), out, err)
		}
		if back, err := parseBytes(b.String()); err != nil || back != b {
			t.Errorf("round trip of %d: %d %v", int64(b), back, err)
		}
	}
}
