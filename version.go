package main

import (
	_ "embed"
	"strings"

	"github.com/prometheus/common/version"
)

// versionFile is the release version; a release build may still set
// version.Version through -ldflags (Makefile, Dockerfile, GoReleaser read the same file).
//
//go:embed VERSION
var versionFile string

// init gives a plain `go build` or `go run` the version of the VERSION file, so that
// --version and toggl_exporter_build_info always name a release.
func init() {
	if version.Version == "" {
		version.Version = strings.TrimSpace(versionFile)
	}
}
