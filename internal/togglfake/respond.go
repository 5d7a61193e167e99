package togglfake

import (
	"cmp"
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Quota headers Toggl sends with its answers.
const (
	HeaderQuotaRemaining = "X-Toggl-Quota-Remaining"
	HeaderQuotaResetsIn  = "X-Toggl-Quota-Resets-In"
)

const (
	msgNoAuth = "Unable to extract authentication data"
	// msgBadFirstTimestamp is the fake's own: Toggl's message is not documented.
	msgBadFirstTimestamp = "first_timestamp must be a Unix timestamp or null"
)

// statusMessages are the plain-text bodies Toggl documents for its error statuses (see
// toggl-api.md), sent when no other is given (else http.StatusText). The 402 text is not
// documented and is the fake's own.
var statusMessages = map[int]string{
	http.StatusBadRequest:          "The report period is not supported",
	http.StatusUnauthorized:        "Incorrect username and/or password",
	http.StatusPaymentRequired:     "You have hit your hourly API quota limit",
	http.StatusForbidden:           "Invalid token",
	http.StatusNotFound:            "Not found",
	http.StatusInternalServerError: "report is too big to be exported",
}

// serve answers as rep's Fault says, or with rep's body as of at (or its page from
// first_timestamp, setting the paging headers), or with the page of its listing: a 200
// body is JSON, any other plain text, by default Toggl's message for the status.
func (rep Report) serve(w http.ResponseWriter, r *http.Request, at time.Time, request map[string]any, from *int64) {
	fault, body := rep.Fault, []byte(rep.Fault.Body)
	switch {
	case fault.Status != 0 && fault.Status != http.StatusOK, fault.Body != "", fault.EmptyBody:
	case rep.listing != nil:
		if body = rep.listing.page(r); body == nil {
			fault.Status, body = http.StatusBadRequest, []byte("page and per_page must be positive integers")
		}
	default:
		body = rep.Body
		if rep.BodyFunc != nil {
			body = rep.BodyFunc(at, request)
		}
		if rep.Paging != nil {
			body = pageOf(w.Header(), body, rep.Paging, from)
		}
	}
	ctx := r.Context()
	if fault.HeaderDelay > 0 && !sleep(ctx, fault.HeaderDelay) {
		return
	}
	status, contentType := cmp.Or(fault.Status, http.StatusOK), "application/json"
	if status != http.StatusOK {
		contentType = "text/plain; charset=utf-8"
		if len(body) == 0 {
			body = []byte(cmp.Or(statusMessages[status], http.StatusText(status)))
		}
	}
	h := w.Header()
	h.Set("Content-Type", cmp.Or(fault.ContentType, contentType))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	for k, vs := range fault.Header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	w.WriteHeader(status)

	if fault.Truncate > 0 && fault.Truncate < len(body) {
		body = body[:fault.Truncate]
	}
	rc := http.NewResponseController(w)
	switch {
	case fault.Reset:
		_, _ = w.Write(body[:len(body)/2])
		abort(rc)
	case fault.BodyDelay > 0:
		_, _ = w.Write(body[:len(body)/2])
		_ = rc.Flush()
		if !sleep(ctx, fault.BodyDelay) {
			return
		}
		_, _ = w.Write(body[len(body)/2:])
	default:
		_, _ = w.Write(body)
	}
}

// abort flushes what was written and kills the connection: on HTTP/1 by hijacking it and
// closing it with SO_LINGER 0 (the client sees a reset), elsewhere (HTTP/2) by aborting
// the handler, which resets the stream and which net/http does not log.
func abort(rc *http.ResponseController) {
	_ = rc.Flush()
	conn, buf, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = buf.Flush()
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS: reset the TCP below it
		conn = tc.NetConn()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// sleep waits for d and reports whether it did, or returns false as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
