package togglfake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Quota headers Toggl sends with its answers.
const (
	HeaderQuotaRemaining = "X-Toggl-Quota-Remaining"
	HeaderQuotaResetsIn  = "X-Toggl-Quota-Resets-In"
)

// quota simulates Toggl's hourly API quota: limit requests per window per credential.
// The window of a credential starts at its first request and resets once it has passed
// (a fixed window, simpler than Toggl's sliding one and the same as seen by one client).
type quota struct {
	limit   int
	window  time.Duration
	buckets map[string]*quotaBucket
}

type quotaBucket struct {
	start time.Time
	used  int
}

// SetQuota simulates Toggl's API quota: each authorised request to a known report costs 1
// from the bucket of its credential (the API token, the e-mail, or one shared anonymous
// bucket for requests without usable credentials). Answers carry X-Toggl-Quota-Remaining
// and X-Toggl-Quota-Resets-In; once limit requests were made in the window, the answer is
// 402 with those headers (remaining 0) until the window, measured with the fake's clock
// from the bucket's first request, has passed. Requests refused earlier (404, 401, 403)
// cost nothing. A limit of 0 disables the quota and its headers. SetQuota forgets all
// usage so far.
func (f *Fake) SetQuota(limit int, window time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quota = quota{limit: limit, window: window, buckets: make(map[string]*quotaBucket)}
}

// bucketKey names the quota bucket of a credential.
func bucketKey(kind, user string) string {
	switch kind {
	case AuthAPIToken, AuthEmail:
		return kind + ":" + user
	default:
		return "anonymous"
	}
}

// charge counts one request at now against the bucket key, sets the quota headers on h,
// and returns the 402 message when the bucket is spent, else "".
func (q *quota) charge(key string, now time.Time, h http.Header) string {
	if q.limit <= 0 {
		return ""
	}
	b := q.buckets[key]
	if b == nil || !now.Before(b.start.Add(q.window)) {
		b = &quotaBucket{start: now}
		q.buckets[key] = b
	}
	resetsIn := (b.start.Add(q.window).Sub(now) + time.Second - 1) / time.Second // rounded up
	spent := b.used >= q.limit
	if !spent {
		b.used++
	}
	h.Set(HeaderQuotaRemaining, strconv.Itoa(q.limit-b.used))
	h.Set(HeaderQuotaResetsIn, strconv.Itoa(int(resetsIn)))
	if spent {
		return fmt.Sprintf("%s. It resets in %d seconds.", statusMessage(http.StatusPaymentRequired), resetsIn)
	}
	return ""
}
