package togglfake

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

const (
	contentTypeJSON = "application/json"
	contentTypeText = "text/plain; charset=utf-8"

	msgNoAuth = "Unable to extract authentication data"
	// msgBadFirstTimestamp is the fake's own: Toggl's message is not documented.
	msgBadFirstTimestamp = "first_timestamp must be a Unix timestamp or null"
)

// statusMessages are the plain-text bodies Toggl documents for its error statuses (see
// toggl-api.md). The 402 text is not documented and is the fake's own.
var statusMessages = map[int]string{
	http.StatusBadRequest:          "The report period is not supported",
	http.StatusUnauthorized:        "Incorrect username and/or password",
	http.StatusPaymentRequired:     "You have hit your hourly API quota limit",
	http.StatusForbidden:           "Invalid token",
	http.StatusNotFound:            "Not found",
	http.StatusInternalServerError: "report is too big to be exported",
}

// statusMessage returns the plain-text body the fake sends with status when no other is
// given: Toggl's documented message where there is one, else http.StatusText.
func statusMessage(status int) string {
	if m, ok := statusMessages[status]; ok {
		return m
	}
	return http.StatusText(status)
}

// pageRequest is what a request to a paged report asks for.
type pageRequest struct {
	at     time.Time      // the time the body is computed for (see Report.BodyFunc)
	body   map[string]any // the request's body, for Report.BodyFunc
	number int            // 1-based page of the walk (see Paging.FailPage); 0 when not paged
	from   *int64         // first_timestamp; nil for the first page
	fromOK bool           // first_timestamp is absent, null or a whole number
}

// serveReport answers an authorised request for rep: its body (or the page pg asks for),
// what its Fault says, or the page of a listing.
func serveReport(w http.ResponseWriter, r *http.Request, rep Report, pg pageRequest) {
	if rep.listing != nil {
		if body := rep.listing.page(r); body != nil {
			write(w, r, http.StatusOK, contentTypeJSON, body, Fault{})
		} else {
			writeStatus(w, r, http.StatusBadRequest, "page and per_page must be positive integers", Fault{})
		}
		return
	}
	fault := rep.Fault
	if p := rep.Paging; p != nil {
		if !pg.fromOK {
			writeStatus(w, r, http.StatusBadRequest, msgBadFirstTimestamp, fault)
			return
		}
		if p.FailPage > 0 && pg.number == p.FailPage {
			fault = p.FailFault
		}
	}
	if fault.Status != 0 && fault.Status != http.StatusOK {
		writeStatus(w, r, fault.Status, fault.Body, fault)
		return
	}
	var body []byte
	switch {
	case fault.EmptyBody:
	case fault.Body != "":
		body = []byte(fault.Body)
	default:
		body = rep.Body
		if rep.BodyFunc != nil {
			body = rep.BodyFunc(pg.at, pg.body)
		}
		if rep.Paging != nil {
			body = pageOf(w.Header(), body, rep.Paging, pg.from)
		}
	}
	write(w, r, http.StatusOK, contentTypeJSON, body, fault)
}

// writeStatus answers status with a plain-text body: msg, or statusMessage(status).
func writeStatus(w http.ResponseWriter, r *http.Request, status int, msg string, fault Fault) {
	if msg == "" {
		msg = statusMessage(status)
	}
	write(w, r, status, contentTypeText, []byte(msg), fault)
}

// write sends status and body, misbehaving as fault says.
func write(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte, fault Fault) {
	ctx := r.Context()
	if fault.HeaderDelay > 0 && !sleep(ctx, fault.HeaderDelay) {
		return
	}
	h := w.Header()
	if fault.ContentType != "" {
		contentType = fault.ContentType
	}
	h.Set("Content-Type", contentType)
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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
