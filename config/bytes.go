package config

import (
	"errors"
	"strconv"
	"strings"

	"github.com/alecthomas/units"
)

// Bytes is a size in bytes, written in YAML as a plain integer or with a
// base-2 unit ("64MiB", "500KB": KB and KiB are both 1024).
type Bytes int64

// String renders the size in its shortest base-2 form, e.g. "64MiB".
func (b Bytes) String() string { return units.Base2Bytes(b).String() }

// MarshalYAML renders the size in human form, e.g. "64MiB".
func (b Bytes) MarshalYAML() (any, error) { return b.String(), nil }

// ParseBytes parses "64MiB", "500KB", "1.5GiB" or a plain number of bytes.
func ParseBytes(s string) (Bytes, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Bytes(n), nil
	}
	n, err := units.ParseBase2Bytes(s)
	if err != nil {
		return 0, errors.New("invalid size (want e.g. 64MiB, 500KB or a number of bytes)")
	}
	return Bytes(n), nil
}
