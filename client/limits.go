package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Upstream etiquette, per credential key (issue "Respect Toggl's quota"):
//
//   - at most Options.RequestsPerSecond requests per second (Toggl: about 1/s per token);
//   - after a quota 402, or any answer with X-Toggl-Quota-Remaining: 0, nothing until the
//     quota window resets (X-Toggl-Quota-Resets-In; else Retry-After; else 1m, 2m, 4m...
//     up to 1h, the length of Toggl's window);
//   - after a 429, nothing until Retry-After, else for an exponential backoff with jitter
//     (1s, 2s, 4s... up to 5m, each drawn in [d/2, d]), reset by a success;
//   - after any other error answer with Retry-After (a 503, say), nothing until then.
//
// A 402 whose X-Toggl-Quota-Remaining is above 0, or that has no quota header at all, is
// plan gating ("this workspace needs a paid feature"): waiting would not help, so it
// does not block.

const (
	backoffStart      = time.Second
	backoffCap        = 5 * time.Minute
	quotaBackoffStart = time.Minute
	minBlock          = time.Second // a reset "in 0 seconds" still waits a moment
	idleForget        = 2 * time.Hour
)

// Limits keeps the upstream etiquette per API URL and credential key. One Limits lives
// for the life of the process and is shared by every Client made with it (see
// Options.Limits), so that a reload which builds a new Client forgets no backoff or quota
// block. It is safe for concurrent use.
type Limits struct {
	now func() time.Time
	// sleep waits d or until ctx is done; tests replace it to advance a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	// jitter draws a duration in [d/2, d].
	jitter func(d time.Duration) time.Duration

	mu     sync.Mutex
	states map[string]*credState
}

// credState is the etiquette state of one credential key.
type credState struct {
	limiter      *rate.Limiter
	blockedUntil time.Time
	code         string // the status that caused the block: "402", "429"...
	why          string // for the message: "after 429"
	strikes      int    // consecutive 429s without success
	quotaStrikes int    // consecutive quota blocks without a known reset time
	lastUsed     time.Time
}

// NewLimits returns an empty Limits on the clock now (nil means time.Now).
func NewLimits(now func() time.Time) *Limits {
	if now == nil {
		now = time.Now
	}
	return &Limits{
		now:    now,
		sleep:  Sleep,
		jitter: equalJitter,
		states: map[string]*credState{},
	}
}

// Sleep waits d, or until ctx is done (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func equalJitter(d time.Duration) time.Duration {
	half := d / 2
	return d - half + rand.N(half+1)
}

// state returns the state of key, creating it (and forgetting long idle ones) as
// needed. l.mu must be held.
func (l *Limits) state(key string, now time.Time) *credState {
	st, ok := l.states[key]
	if !ok {
		for k, old := range l.states {
			if now.Sub(old.lastUsed) > idleForget && !now.Before(old.blockedUntil) {
				delete(l.states, k)
			}
		}
		st = &credState{limiter: rate.NewLimiter(rate.Inf, 1)}
		l.states[key] = st
	}
	st.lastUsed = now
	return st
}

// blocked returns the error for a request that may not be sent before st's block ends,
// nil when there is no block at now.
func (st *credState) blocked(now time.Time) *Error {
	if !now.Before(st.blockedUntil) {
		return nil
	}
	return &Error{
		Code:       st.code,
		Message:    fmt.Sprintf("backing off until %s %s", st.blockedUntil.UTC().Format(time.RFC3339), st.why),
		RetryAfter: st.blockedUntil.Sub(now),
		Backoff:    true,
		NotSent:    true,
	}
}

// wait returns nil when a request for key may be sent at rps: after waiting for the
// rate limit, or at once. It fails without waiting while key is blocked, and when ctx
// would end before the rate limit allows the request.
func (l *Limits) wait(ctx context.Context, key string, rps rate.Limit) *Error {
	l.mu.Lock()
	now := l.now()
	st := l.state(key, now)
	if st.limiter.Limit() != rps { // new, or a reload changed requests_per_second
		st.limiter.SetLimitAt(now, rps)
	}
	if e := st.blocked(now); e != nil {
		l.mu.Unlock()
		return e
	}
	if err := ctx.Err(); err != nil {
		l.mu.Unlock()
		return notSent(err.Error(), err)
	}
	r := st.limiter.ReserveN(now, 1)
	l.mu.Unlock()
	delay := r.DelayFrom(now)
	if delay <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
		r.CancelAt(now)
		return notSent(fmt.Sprintf("the rate limit of these credentials allows the next request in %s, after the deadline",
			delay.Round(time.Millisecond)), context.DeadlineExceeded)
	}
	if err := l.sleep(ctx, delay); err != nil {
		r.CancelAt(l.now())
		return notSent("waiting for the rate limit: "+err.Error(), err)
	}
	// A request that went while this one waited may have blocked the credential.
	l.mu.Lock()
	defer l.mu.Unlock()
	return st.blocked(l.now())
}

// notSent is the error of a request given up before it was sent, as ctx ended.
func notSent(msg string, err error) *Error {
	return &Error{Code: CodeTimeout, Message: "not sent: " + msg, Err: err, NotSent: true}
}

// observe updates key's state from a response.
func (l *Limits) observe(key string, resp *Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(key, now)
	q := resp.Quota
	status := resp.StatusCode
	success := status >= 200 && status <= 299
	if success {
		st.strikes = 0
	}
	exhausted := q.HasRemaining && q.Remaining <= 0
	quota402 := status == 402 && (exhausted || (!q.HasRemaining && q.HasResetsIn))
	switch {
	case exhausted || quota402:
		d := q.ResetsIn
		switch {
		case q.HasResetsIn:
		case resp.RetryAfter > 0:
			d = resp.RetryAfter
		default:
			d = min(quotaBackoffStart<<min(st.quotaStrikes, 20), maxWait) // doubling
			st.quotaStrikes++
		}
		why := "after 402 (hourly API quota exhausted)"
		if status != 402 {
			why = "after X-Toggl-Quota-Remaining: 0 (hourly API quota exhausted)"
		}
		st.block(now, now.Add(max(d, minBlock)), "402", why)
	case status == 429:
		d := resp.RetryAfter
		if d <= 0 {
			d = l.jitter(min(backoffStart<<min(st.strikes, 20), backoffCap))
		}
		st.strikes++
		st.block(now, now.Add(max(d, minBlock)), "429", "after 429")
	case !success && resp.RetryAfter > 0:
		code := strconv.Itoa(status)
		st.block(now, now.Add(resp.RetryAfter), code, "after "+code)
	}
	if success && !exhausted {
		st.quotaStrikes = 0
	}
}

// block extends st's block to until, never beyond maxWait from now: Toggl's quota window
// is an hour, and one bogus header must not silence a credential (or every public report,
// which share the anonymous one) for longer.
func (st *credState) block(now, until time.Time, code, why string) {
	if limit := now.Add(maxWait); until.After(limit) {
		until = limit
	}
	if until.After(st.blockedUntil) {
		st.blockedUntil, st.code, st.why = until, code, why
	}
}

// BlockedUntil returns when the backoff of these credentials ends, or the zero time when
// requests with them are not blocked.
func (c *Client) BlockedUntil(cred Credentials) time.Time {
	l := c.o.Limits
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.states[c.limitKey(cred)]
	if !ok || !l.now().Before(st.blockedUntil) {
		return time.Time{}
	}
	return st.blockedUntil
}
