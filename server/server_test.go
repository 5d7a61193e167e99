package server

// In-process tests of the HTTP server's bounds, its stop and its logs, with timeouts
// shortened by shortTimeouts.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
)

// TestTimeoutsAreSet: every phase of a connection is bounded, and a scrape of the
// longest allowed timeout can still write its answer.
func TestTimeoutsAreSet(t *testing.T) {
	srv := New(http.NotFoundHandler(), nil, 0)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("unbounded: read header %s, read %s, write %s, idle %s", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.WriteTimeout <= maxScrapeTimeout {
		t.Errorf("write timeout %s cuts a scrape of %s", srv.WriteTimeout, maxScrapeTimeout)
	}
}

// testServer serves h on loopback with short timeouts and returns its address.
func testServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := shortTimeouts(New(h, nil, 0))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedByServer waits (up to 10 s) for the server to close conn, reading nothing else.
func closedByServer(t *testing.T, conn net.Conn, r io.Reader) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
	if len(b) > 0 {
		t.Errorf("unexpected bytes before the close: %q", b)
	}
}

// shortTimeouts shortens the waits of srv for tests.
func shortTimeouts(srv *http.Server) *http.Server {
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 200*time.Millisecond, time.Second, time.Second, 200*time.Millisecond
	return srv
}

func TestIdleConnectionIsClosed(t *testing.T) {
	addr := testServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("the server closed a keep-alive connection at once; nothing tested")
	}
	closedByServer(t, conn, br) // idle after the answer
}

func TestSlowLorisHeaderIsCut(t *testing.T) {
	reached := make(chan struct{}, 1)
	addr := testServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- struct{}{} }))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ") // and never the end
	closedByServer(t, conn, conn)
	select {
	case <-reached:
		t.Error("an incomplete request reached the handler")
	default:
	}
}

// TestLimitInFlight: with n requests held inside, the next one is a 503 at once,
// across every handler the limit wraps; a freed slot serves again; 0 is no limit.
func TestLimitInFlight(t *testing.T) {
	const n = 3
	entered, release := make(chan struct{}), make(chan struct{})
	hold := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	limit := limitInFlight(n)
	held, other := limit(hold), limit(ok)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { held.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe", nil)) })
		<-entered
	}
	for _, h := range []http.Handler{held, other} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "--web.max-requests=3") {
			t.Errorf("request %d: %d %q, want 503 naming the flag", n+1, rec.Code, rec.Body.String())
		}
	}
	close(release)
	wg.Wait()
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("after the slots were freed: %d", rec.Code)
	}

	unlimited := limitInFlight(0)(hold)
	entered, release = make(chan struct{}), make(chan struct{})
	for range 100 {
		wg.Go(func() {
			unlimited.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe", nil))
		})
		<-entered
	}
	close(release)
	wg.Wait()
}

// TestServeStops: after a signal, serve waits for the request in flight up to the grace
// period, or until a second signal, then cuts it and returns.
func TestServeStops(t *testing.T) {
	for _, second := range []bool{false, true} {
		var buf testkit.SyncBuffer
		logger := log.NewLogfmtLogger(&buf)
		entered, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		}), nil, 0)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan os.Signal, 2)
		grace := 100 * time.Millisecond
		if second {
			grace = time.Hour
		}
		returned := make(chan error, 1)
		go func() { returned <- Serve(srv, func() error { return srv.Serve(ln) }, stop, grace, func() {}, logger) }()
		go http.Get("http://" + ln.Addr().String() + "/")
		<-entered
		stop <- syscall.SIGTERM
		if second {
			for !strings.Contains(buf.String(), "shutting down") {
				time.Sleep(10 * time.Millisecond)
			}
			stop <- syscall.SIGINT
		}
		select {
		case err := <-returned:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("second signal %v: serve did not return", second)
		}
		want := "grace period over"
		if second {
			want = "second signal"
		}
		for _, w := range []string{`msg="shutting down" signal=terminated`, want, "msg=stopped"} {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("second signal %v: log lacks %q:\n%s", second, w, buf.String())
			}
		}
	}
}

// sdSite is the exporter's routes with n reports whose fetches wait for release (a
// /probe holds its slot of --web.max-requests until then) and at most maxRequests
// requests in flight.
func sdSite(t *testing.T, n, maxRequests int, release <-chan struct{}, fetching chan<- struct{}) http.Handler {
	t.Helper()
	yml := "reports:\n"
	for i := range n {
		yml += fmt.Sprintf("  - name: report-%d\n    token: tok%d-0123456789abcdef0123456789\n", i, i)
	}
	cfg, err := config.Parse([]byte(yml), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e := collector.New(collector.Options{})
	e.Apply(cfg, fetchFunc(func(ctx context.Context, _ client.Request, _ client.Sink) (*client.Report, *client.Response, error) {
		if fetching != nil {
			fetching <- struct{}{}
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil, &client.Error{Code: client.CodeTimeout, Message: "held"}
	}))
	s := Site{MetricsPath: "/metrics", MaxRequests: maxRequests, Registry: prometheus.NewRegistry(), Exporter: e,
		Config: func() *config.Config { return cfg }, Logger: log.NewNopLogger()}
	return s.Handler()
}

type fetchFunc func(context.Context, client.Request, client.Sink) (*client.Report, *client.Response, error)

func (f fetchFunc) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	return f(ctx, req, sink)
}

// sdRequest is GET /sd with the Host header host.
func sdRequest(host string) []byte {
	return []byte("GET /sd HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
}

// rawGet sends req on a new connection to addr and returns the status of the answer.
func rawGet(t *testing.T, addr string, req []byte) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go conn.Write(req) // the server may answer before it has read all
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestSDHostBounded: /sd echoes the Host once per report; a Host of 1 MB is refused by
// the bound on request headers, one that is not host[:port] (60 KB of name) with a 400,
// and neither makes the process allocate more than a few hundred KB, whatever the
// number of reports (here 500).
func TestSDHostBounded(t *testing.T) {
	addr := testServer(t, sdSite(t, 500, 40, nil, nil))
	if status := rawGet(t, addr, sdRequest("exporter.example:9981")); status != http.StatusOK {
		t.Fatalf("/sd with a good Host: %d", status)
	}
	for _, tc := range []struct {
		host   string
		status int
	}{
		{strings.Repeat("a", 1_000_000), http.StatusRequestHeaderFieldsTooLarge},
		{strings.Repeat("a", 60_000), http.StatusBadRequest},
		{"exporter.example:9981:1", http.StatusBadRequest},
		{"exporter.example,evil.example", http.StatusBadRequest},
	} {
		req := sdRequest(tc.host)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		status := rawGet(t, addr, req)
		runtime.ReadMemStats(&after)
		if status != tc.status {
			t.Errorf("/sd with a Host of %d bytes: %d, want %d", len(tc.host), status, tc.status)
		}
		grown := after.TotalAlloc - before.TotalAlloc
		if grown > 1<<20 {
			t.Errorf("/sd with a Host of %d bytes allocated %d KB", len(tc.host), grown>>10)
		}
		t.Logf("Host of %d bytes: %d, %d KB allocated", len(tc.host), status, grown>>10)
	}
	for _, host := range []string{"exporter.example", "10.0.0.7:9981", "[::1]:9981", "[fe80::1]", "toggl_exporter.monitoring.svc:9981"} {
		if status := rawGet(t, addr, sdRequest(host)); status != http.StatusOK {
			t.Errorf("/sd with Host %q: %d, want 200", host, status)
		}
	}
}

// TestSDUnderMaxRequests: /sd takes a slot of --web.max-requests like /metrics and
// /probe: with the only slot held by a scrape, it is a 503.
func TestSDUnderMaxRequests(t *testing.T) {
	release := make(chan struct{})
	fetching := make(chan struct{}, 1)
	h := sdSite(t, 1, 1, release, fetching)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe?report=report-0", nil))
	}()
	<-fetching // the probe holds the only slot while it waits for this fetch
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sd", nil))
		if rec.Code == http.StatusServiceUnavailable && strings.Contains(rec.Body.String(), "--web.max-requests") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/sd with the only slot held: %d %q, want 503", rec.Code, rec.Body.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	<-done
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sd", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/sd once the slot is free: %d", rec.Code)
	}
}

// TestConnectionLimit: with --web.max-connections=3, idle kept-alive connections make
// room for a new one (the longest idle is closed, so a scrape always gets in), and a
// fourth connection while three requests are in flight is closed at once, unanswered.
func TestConnectionLimit(t *testing.T) {
	if New(http.NotFoundHandler(), nil, 0).ConnState != nil {
		t.Error("0 must be no limit")
	}
	const n = 3
	entered, release := make(chan struct{}, n), make(chan struct{})
	// serve starts a server whose connections are limited to n, on a limiter of its own:
	// a connection closed by the client is counted until the server sees it closed.
	serve := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				entered <- struct{}{}
				<-release
			}
			io.WriteString(w, "ok")
		}), nil, n)
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	addr := serve()

	// get sends GET path on conn and reads the answer; false if the server closed conn.
	get := func(conn net.Conn, br *bufio.Reader, path string) bool {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return false
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	type kept struct {
		conn net.Conn
		br   *bufio.Reader
	}
	dial := func() kept {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return kept{conn, bufio.NewReader(conn)}
	}
	var idle []kept
	for i := range n + 2 {
		k := dial()
		if !get(k.conn, k.br, "/") {
			t.Fatalf("connection %d: no answer, while the others are idle", i+1)
		}
		idle = append(idle, k)
		time.Sleep(10 * time.Millisecond) // distinct idle times
	}
	// The two longest idle were closed for the fourth and fifth; the last three serve.
	for i, k := range idle {
		closed := !get(k.conn, k.br, "/")
		if closed != (i < 2) {
			t.Errorf("idle connection %d: closed %v, want %v", i+1, closed, i < 2)
		}
	}
	for _, k := range idle {
		k.conn.Close()
	}

	addr = serve() // the closed connections may still count on the first server's limiter
	var wg sync.WaitGroup
	for range n {
		k := dial()
		wg.Go(func() { get(k.conn, k.br, "/hold") })
		<-entered
	}
	k := dial()
	if get(k.conn, k.br, "/") {
		t.Error("a fourth connection was served while three requests were in flight")
	}
	close(release)
	wg.Wait()
	// The held connections turn idle just after their answers are read: a new one gets
	// in then, closing the longest idle.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		k = dial()
		if get(k.conn, k.br, "/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no answer once the requests ended")
		}
	}
}

// TestLandingPageHint402: a report down with a 402 tells to set hourly_quota to what the
// plan allows (the quota plan then spreads the refreshes), not to refresh less often by
// hand.
func TestLandingPageHint402(t *testing.T) {
	cfg, err := config.Parse([]byte("reports:\n  - name: spent\n    token: tok-0123456789abcdef0123456789\n"), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e := collector.New(collector.Options{})
	e.Apply(cfg, fetchFunc(func(context.Context, client.Request, client.Sink) (*client.Report, *client.Response, error) {
		return nil, nil, &client.Error{Code: "402", Message: "quota spent"}
	}))
	h := Site{MetricsPath: "/metrics", Registry: prometheus.NewRegistry(), Exporter: e,
		Config: func() *config.Config { return cfg }, Logger: log.NewNopLogger()}.Handler()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe?report=spent", nil))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	page := rec.Body.String()
	if !strings.Contains(page, "down: 402") || !strings.Contains(page, "set hourly_quota to what your Toggl plan allows") || strings.Contains(page, "min_refresh_interval") {
		t.Errorf("the landing page's hint for a 402 does not name hourly_quota as the setting:\n%s", page)
	}
}
