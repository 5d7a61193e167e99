package client

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Upstream etiquette per API and credential (SPEC): the pace; Budget.PerHour in any 60
// minutes, once set or told (no guess holds up an API without quota headers); blocks until
// the quota window resets (Resets-In, Retry-After, or 1m doubling), after a 429 (Retry-After
// or 1s doubling to 5m, jittered), after Retry-After. A 402 with quota left is plan gating.

const (
	backoffStart      = time.Second
	backoffCap        = 5 * time.Minute
	quotaBackoffStart = time.Minute
	minBlock          = time.Second // a reset "in 0 seconds" still waits a moment
	idleForget        = 2 * time.Hour
	quotaWindow       = time.Hour // Toggl's sliding quota window
)

// FreePlanPerHour is what a credential is assumed to afford until Toggl's headers tell.
const FreePlanPerHour = 30

// Limits keeps the etiquette per API and credential for the process's life, across reloads.
type Limits struct {
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error // tests advance a fake clock
	jitter func(d time.Duration) time.Duration              // draws in [d/2, d]

	mu     sync.Mutex
	states map[string]*credState
}

type credState struct {
	limiter      *rate.Limiter
	blockedUntil time.Time
	code, why    string // of the block: "429", "after 429"
	strikes      int    // consecutive 429s without success
	quotaStrikes int    // consecutive quota blocks without a known reset time
	lastUsed     time.Time
	sent         []time.Time // when the requests of the last quotaWindow left (or will), oldest first
	allowance    int         // what the plan allows: the latest Remaining + sent; 0 until told
	answered     bool        // an answer came: from then on no quota header means no known quota
	remaining    int64       // the latest X-Toggl-Quota-Remaining, when allowance > 0
	resetAt      time.Time   // now + the latest X-Toggl-Quota-Resets-In; zero if not sent
}

// budget is what st may spend in a quotaWindow (set: hourly_quota), and if it is enforced.
func (st *credState) budget(set int) (n int, enforced bool) {
	if set > 0 {
		return set, true
	}
	a := cmp.Or(st.allowance, FreePlanPerHour) // allowance is 0 or at least FreePlanPerHour
	return a - a/10, st.allowance > 0
}

// recent returns the sends of the window before now.
func (st *credState) recent(now time.Time, window time.Duration) []time.Time {
	return st.sent[sort.Search(len(st.sent), func(i int) bool { return st.sent[i].Add(window).After(now) }):]
}

// roomAt is when n more requests fit in b per window; zero when they fit now.
func (st *credState) roomAt(now time.Time, window time.Duration, b, n int) time.Time {
	sent := st.recent(now, window)
	over := len(sent) + n - b // the sends that must leave the window first
	switch {
	case over <= 0:
		return time.Time{}
	case over > len(sent):
		return now.Add(window) // more than the budget at once: a whole window
	}
	return sent[over-1].Add(window)
}

// NewLimits returns an empty Limits on the clock now (nil means time.Now).
func NewLimits(now func() time.Time) *Limits {
	if now == nil {
		now = time.Now
	}
	return &Limits{now: now, sleep: Sleep, jitter: equalJitter, states: map[string]*credState{}}
}

// Sleep waits d, or until ctx is done (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d): // collected when ctx wins, since Go 1.23
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func equalJitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d-d/2+1)
}

// state returns key's state (made, idle ones forgotten), sends out of the window dropped.
func (l *Limits) state(key string, now time.Time) *credState {
	st, ok := l.states[key]
	if !ok {
		// Blocks end within maxWait of the last use: an idle state is a forgettable one.
		maps.DeleteFunc(l.states, func(_ string, old *credState) bool { return now.Sub(old.lastUsed) > idleForget })
		st = &credState{limiter: rate.NewLimiter(rate.Inf, 1)}
		l.states[key] = st
	}
	st.lastUsed = now
	st.sent = st.recent(now, quotaWindow)
	return st
}

// blocked returns the error of a request while st is blocked, else nil.
func (st *credState) blocked(now time.Time) *Error {
	if !now.Before(st.blockedUntil) {
		return nil
	}
	msg := fmt.Sprintf("backing off until %s %s", st.blockedUntil.UTC().Format(time.RFC3339), st.why)
	return &Error{Code: st.code, Message: msg, RetryAfter: st.blockedUntil.Sub(now), Backoff: true, NotSent: true}
}

// wait returns nil once key may send at rps within quota (<= 0: learned), else why not.
func (l *Limits) wait(ctx context.Context, key string, rps rate.Limit, quota int) *Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		now := l.now()
		st := l.state(key, now)
		st.limiter.SetLimitAt(now, rps) // a reload may have changed requests_per_second
		if e := st.blocked(now); e != nil {
			return e
		}
		if err := ctx.Err(); err != nil {
			return notSent(err.Error(), err)
		}
		b, enforced := st.budget(quota)
		if at := st.roomAt(now, quotaWindow, b, 1); enforced && !at.IsZero() {
			if e := l.pause(ctx, at.Sub(now), fmt.Sprintf("the hourly quota of these credentials (%d requests) allows the next request at %s",
				b, at.UTC().Format(time.RFC3339))); e != nil {
				return e
			}
			continue // others may have taken the room meanwhile
		}
		r := st.limiter.ReserveN(now, 1)
		delay := r.DelayFrom(now)
		st.sent = append(st.sent, now.Add(delay))
		if delay <= 0 {
			return nil
		}
		if e := l.pause(ctx, delay, fmt.Sprintf("the rate limit of these credentials allows the next request in %s", delay.Round(time.Millisecond))); e != nil {
			r.CancelAt(l.now())
			if i := slices.Index(st.sent, now.Add(delay)); i >= 0 {
				st.sent = slices.Delete(st.sent, i, i+1)
			}
			return e
		}
		return st.blocked(l.now()) // a request that went meanwhile may have blocked key
	}
}

// pause waits d, releasing l.mu; a wait is no failure, but a deadline that ends it is.
func (l *Limits) pause(ctx context.Context, d time.Duration, why string) *Error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return notSent(why+", after the deadline", context.DeadlineExceeded)
	}
	l.mu.Unlock()
	defer l.mu.Lock()
	if err := l.sleep(ctx, d); err != nil {
		return notSent("waiting: "+why+": "+err.Error(), err)
	}
	return nil
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
	st.answered = true
	q, status := resp.Quota, resp.StatusCode
	if q.HasRemaining {
		// Plans allow at least 30: little remaining says others spent it, not a smaller plan.
		st.allowance = max(int(min(q.Remaining, 1<<20))+len(st.sent), FreePlanPerHour)
		st.remaining = q.Remaining
	}
	if q.HasResetsIn {
		st.resetAt = now.Add(q.ResetsIn)
	}
	success := status >= 200 && status <= 299
	if success {
		st.strikes = 0
	}
	d, code := resp.RetryAfter, strconv.Itoa(status)
	why := "after " + code
	switch {
	case q.HasRemaining && q.Remaining <= 0 || status == 402 && !q.HasRemaining && q.HasResetsIn:
		if q.HasResetsIn {
			d = q.ResetsIn
		} else if d <= 0 {
			d = min(quotaBackoffStart<<min(st.quotaStrikes, 20), maxWait) // doubling
			st.quotaStrikes++
		}
		if status != 402 {
			why = "after X-Toggl-Quota-Remaining: 0"
		}
		d, code, why = max(d, minBlock), "402", why+" (hourly API quota exhausted)"
	case status == 429:
		if d <= 0 {
			d = l.jitter(min(backoffStart<<min(st.strikes, 20), backoffCap))
		}
		d = max(d, minBlock)
		st.strikes++
	case success:
		st.quotaStrikes = 0
		return
	}
	// d is capped at maxWait: one bogus header must not silence a credential longer.
	if until := now.Add(d); d > 0 && until.After(st.blockedUntil) {
		st.blockedUntil, st.code, st.why = until, code, why
	}
}

// BlockedUntil returns when cred's backoff ends; zero when it is not blocked.
func (c *Client) BlockedUntil(cred Credentials) time.Time { return c.Budget(cred, 0).BlockedUntil }

// Budget is what a credential may spend in Toggl's quota window; past times are zero.
type Budget struct {
	// PerHour is the most requests in any 60 minutes: hourly_quota, else 9/10 of what Toggl
	// shows the plan allows (30 until told); 0 with no quota headers. Enforced: held to it.
	PerHour  int
	Enforced bool
	// RoomAt is when the n requests asked about fit in the window; MinuteRoomAt when they
	// fit in a minute's share (PerHour/60, or n), for spreading refreshes over the hour.
	// BlockedUntil is when the backoff ends; ResetAt when Toggl's quota window resets.
	RoomAt, MinuteRoomAt, BlockedUntil, ResetAt time.Time
	Remaining                                   int64 // the latest X-Toggl-Quota-Remaining, if HasRemaining
	HasRemaining                                bool
}

// Budget returns the quota budget of cred and when n more requests fit in it.
func (c *Client) Budget(cred Credentials, n int) Budget {
	l := c.o.Limits
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(c.limitKey(cred), now)
	b := Budget{Remaining: st.remaining, HasRemaining: st.allowance > 0}
	b.PerHour, b.Enforced = st.budget(c.o.HourlyQuota)
	if !b.Enforced && st.answered {
		b.PerHour = 0
	}
	if b.PerHour > 0 {
		b.RoomAt = st.roomAt(now, quotaWindow, b.PerHour, n)
		b.MinuteRoomAt = st.roomAt(now, time.Minute, max((b.PerHour+59)/60, n), n)
	}
	if st.resetAt.After(now) {
		b.ResetAt = st.resetAt
	}
	if st.blockedUntil.After(now) {
		b.BlockedUntil = st.blockedUntil
	}
	return b
}
