// Package server is the exporter's HTTP side: its routes and landing page (site.go), the
// bounds on what a client can hold (time, headers, connections, requests in flight), and
// a stop that lets scrapes in flight finish.
package server

import (
	"context"
	"errors"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

const (
	// maxScrapeTimeout caps how long a scrape waits for fresh values, whatever
	// X-Prometheus-Scrape-Timeout-Seconds says: Prometheus' timeouts are seconds to a
	// minute, and a client must not hold a slot of --web.max-requests for an hour.
	maxScrapeTimeout = 2 * time.Minute
	// ShutdownGrace is how long scrapes in flight may take to finish after SIGTERM:
	// Prometheus' default scrape timeout, and well inside Kubernetes' 30 s before SIGKILL.
	ShutdownGrace = 10 * time.Second
	// maxHeaderBytes bounds a request's headers: a scrape's are a few hundred bytes, and
	// /sd echoes the Host once per report. Go answers 431 beyond (and reads 4 KiB more).
	maxHeaderBytes = 64 << 10
)

// New returns the HTTP server with every wait bounded and Go's own errors (accept,
// TLS handshakes) logged through the project's logger.
func New(h http.Handler, errorLog *stdlog.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// A GET's headers are a few hundred bytes: a client slower than this is a slow loris.
		ReadHeaderTimeout: 10 * time.Second,
		// No endpoint takes a body (a reload's POST carries none).
		ReadTimeout: 15 * time.Second,
		// Counted from the end of the headers: the longest scrape, plus time to write it.
		WriteTimeout: maxScrapeTimeout + 15*time.Second,
		// Longer than the usual 15 s to 1 min scrape interval, so that Prometheus keeps
		// its connection, yet an idle one does not hold a descriptor for ever.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       errorLog,
	}
}

// connLimit bounds the connections the server holds open, whatever a client leaves
// open, so that descriptors stay for scrapes and for Toggl: beyond n, a new connection
// closes the longest idle one (kept alive, between requests: no request is lost) or,
// when none is idle, is itself closed at once. Its track is the server's ConnState, so
// it bounds every listener the toolkit opens (addresses, systemd sockets, TLS).
type connLimit struct {
	n    int
	mu   sync.Mutex
	open int
	idle map[net.Conn]time.Time // since when
}

// LimitConnections returns the ConnState hook that bounds the server to n connections;
// nil (no limit) for n <= 0.
func LimitConnections(n int) func(net.Conn, http.ConnState) {
	if n <= 0 {
		return nil
	}
	l := &connLimit{n: n, idle: map[net.Conn]time.Time{}}
	return l.track
}

func (l *connLimit) track(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateNew:
		l.open++ // until its StateClosed, closed here or not
		if l.open <= l.n {
			return
		}
		var oldest net.Conn
		for ic, since := range l.idle {
			if oldest == nil || since.Before(l.idle[oldest]) {
				oldest = ic
			}
		}
		if oldest == nil {
			c.Close()
			return
		}
		delete(l.idle, oldest)
		oldest.Close()
	case http.StateIdle:
		l.idle[c] = time.Now()
	case http.StateActive:
		delete(l.idle, c)
	case http.StateClosed, http.StateHijacked:
		delete(l.idle, c)
		l.open--
	}
}

// Serve runs listen (which serves srv) until a signal arrives on stop, then gives the
// requests in flight up to grace to finish; a second signal or the end of grace closes
// them at once.
func Serve(srv *http.Server, listen func() error, stop <-chan os.Signal, grace time.Duration, logger log.Logger) error {
	served := make(chan error, 1)
	go func() { served <- listen() }()
	var sig os.Signal
	select {
	case err := <-served:
		return err
	case sig = <-stop:
	}
	level.Info(logger).Log("msg", "shutting down", "signal", sig, "grace_period", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			level.Warn(logger).Log("msg", "grace period over; cutting the requests still in flight", "grace_period", grace)
			srv.Close()
		}
	case sig = <-stop:
		level.Warn(logger).Log("msg", "second signal; cutting the requests still in flight", "signal", sig)
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	level.Info(logger).Log("msg", "stopped")
	return nil
}
