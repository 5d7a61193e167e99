package client

import (
	"context"
	"time"
)

// limits keeps the upstream etiquette per credential key.
type limits struct {
	now func() time.Time
}

func newLimits(rps float64, now func() time.Time) *limits {
	return &limits{now: now}
}

// wait returns nil when a request for key may be sent now.
func (l *limits) wait(ctx context.Context, key string) *Error { return nil }

// observe records what a response says about the credential's quota.
func (l *limits) observe(key string, r *Response) {}
