package main

// Tests of the process' one log stream: the exporter's, the toolkit's and net/http's
// lines in one format with one key order.

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log/level"

	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/server"
)

// TestServerErrorsGoThroughTheLogger: Go's own server errors (here a TLS handshake
// with a client that speaks plain HTTP) are logged in the project's format.
func TestServerErrorsGoThroughTheLogger(t *testing.T) {
	var buf testkit.SyncBuffer
	logger, _, httpLog := newLoggers(&buf, "logfmt", "info")
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.Config = server.New(http.NotFoundHandler(), httpLog, 0)
	ts.StartTLS()
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	io.ReadAll(conn)
	conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "TLS handshake error") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	level.Info(logger).Log("msg", "for comparison")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `msg="http: TLS handshake error from 127.0.0.1:`) {
		t.Fatalf("want the handshake error, then the comparison line:\n%s", buf.String())
	}
	if got, want := logKeys(lines[0]), logKeys(lines[1]); strings.Join(got, " ") != strings.Join(want, " ") || !strings.HasPrefix(lines[0], "level=error ts=") {
		t.Errorf("net/http's line %q has keys %v, the exporter's %v", lines[0], got, want)
	}
}

// logKeys returns the keys of a logfmt line in order.
func logKeys(line string) []string {
	var keys []string
	for len(line) > 0 {
		k, rest, _ := strings.Cut(line, "=")
		keys = append(keys, k)
		if strings.HasPrefix(rest, `"`) { // a quoted value: up to the unescaped quote
			i := 1
			for i < len(rest) && rest[i] != '"' {
				if rest[i] == '\\' {
					i++
				}
				i++
			}
			rest = rest[min(i+1, len(rest)):]
		}
		_, line, _ = strings.Cut(rest, " ")
	}
	return keys
}

// TestLogKeyOrder: the exporter's lines and the toolkit's (slog through slog-gokit)
// have the same keys in the same order.
func TestLogKeyOrder(t *testing.T) {
	var buf testkit.SyncBuffer
	logger, toolkit, _ := newLoggers(&buf, "logfmt", "info")
	level.Info(logger).Log("msg", "exporter line", "address", "x")
	toolkit.Info("toolkit line", "address", "x")
	toolkit.Debug("filtered out")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines:\n%s", buf.String())
	}
	want := "level ts caller msg address"
	for _, l := range lines {
		if got := strings.Join(logKeys(l), " "); got != want {
			t.Errorf("keys %q, want %q: %s", got, want, l)
		}
	}
	if !strings.Contains(lines[1], "caller=log_test.go:") {
		t.Errorf("the toolkit's line does not name its caller: %s", lines[1])
	}
}
