package postgres

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadcall/leadcall"
)

// Rate limiter limits.
const (
	// MaxRateLimiterKey is the longest RateLimiter key, in bytes.
	MaxRateLimiterKey = 200
	// MaxRate and MaxBurst bound a RateLimiter's rate (per second) and burst.
	MaxRate  = 1e6
	MaxBurst = 1_000_000
)

// rateRefundTimeout bounds the statement that gives a cancelled permit back.
const rateRefundTimeout = 5 * time.Second

// RateLimiter is a token bucket kept in the database, so that every replica using the same
// key shares one rate: whatever the number of replicas, they are granted at most
// burst + rate × t permits in any t seconds. It implements crm/zoho's Config.Limiter
// (Wait(ctx) error); the reference server keys it by org for its Zoho connection.
//
// Each Wait costs one statement, which atomically refills the key's row (at rate, up to
// burst, by the database's clock, so replicas' clocks need not agree) and takes a token. When
// the bucket was empty the token is taken on credit and Wait sleeps until the refill has paid
// it, which keeps waiters in the order of their statements without polling. A Wait that
// gives up (ctx done, or a deadline before the permit) returns the token. Replicas should
// use the same rate and burst for a key; each statement applies the caller's.
type RateLimiter struct {
	s     *Store
	key   string
	rate  float64
	burst int
}

// RateLimiter returns a limiter of key granting rate permits per second with bursts of up
// to burst. CodeInvalid for an empty key, one longer than MaxRateLimiterKey or not UTF-8 (or
// holding NUL), a rate not in (0, MaxRate], or a burst not in [1, MaxBurst].
func (s *Store) RateLimiter(key string, rate float64, burst int) (*RateLimiter, error) {
	const op = "postgres: rate limiter"
	switch {
	case key == "" || len(key) > MaxRateLimiterKey || !utf8.ValidString(key) || strings.ContainsRune(key, 0):
		return nil, invalid(op, "key", "must be 1 to %d bytes of UTF-8 without NUL", MaxRateLimiterKey)
	case math.IsNaN(rate) || rate <= 0 || rate > MaxRate:
		return nil, invalid(op, "rate", "must be above 0 and at most %g per second", float64(MaxRate))
	case burst < 1 || burst > MaxBurst:
		return nil, invalid(op, "burst", "must be between 1 and %d", MaxBurst)
	}
	return &RateLimiter{s: s, key: key, rate: rate, burst: burst}, nil
}

// takeToken refills the bucket and takes one token, returning what is left (negative: owed).
// The row lock serialises replicas; the refill uses clock_timestamp() taken after the lock
// (ON CONFLICT evaluates SET once it holds the row), so a later statement never sees an
// earlier time. The second clock_timestamp() is a little later than the first, which can only
// lose a few microseconds of refill: it never grants more than the rate.
const takeToken = `
	INSERT INTO rate_buckets AS b (key, tokens, at) VALUES ($1, $3::float8 - 1, clock_timestamp())
	ON CONFLICT (key) DO UPDATE SET
		tokens = LEAST($3::float8, b.tokens + $2::float8 * GREATEST(EXTRACT(EPOCH FROM clock_timestamp() - b.at)::float8, 0)) - 1,
		at = GREATEST(b.at, clock_timestamp())
	RETURNING tokens`

// Wait takes a permit, sleeping while the bucket owes tokens. It returns an error (with
// CodeUnavailable) without a permit when ctx is done first, when ctx's deadline comes before
// the permit would, when the store is closed, or when the database cannot be reached.
func (l *RateLimiter) Wait(ctx context.Context) error {
	const op = "postgres: rate limiter wait"
	if err := l.s.usable(ctx, op); err != nil {
		return err
	}
	var tokens float64
	if err := l.s.pool.QueryRow(ctx, takeToken, l.key, l.rate, float64(l.burst)).Scan(&tokens); err != nil {
		return l.s.wrap(ctx, op, err)
	}
	if tokens >= 0 {
		return nil
	}
	wait := time.Duration(-tokens / l.rate * float64(time.Second))
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		l.refund(ctx)
		return leadcall.Errorf(leadcall.CodeUnavailable, op, "the next permit of %q comes in %v, after the context's deadline", l.key, wait.Round(time.Millisecond))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.refund(ctx)
		return leadcall.NewError(leadcall.CodeUnavailable, op, ctx.Err())
	}
}

// refund gives back a token taken by a Wait that gave up, so waiters behind it are not held
// for nothing. Best effort: a failure only slows the key down for 1/rate.
func (l *RateLimiter) refund(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rateRefundTimeout)
	defer cancel()
	_, err := l.s.pool.Exec(ctx, `UPDATE rate_buckets SET tokens = LEAST($2::float8, tokens + 1) WHERE key = $1`, l.key, float64(l.burst))
	if err != nil {
		l.s.cfg.Logger.Warn("postgres: rate limiter: returning a permit", "key", l.key, "err", err)
	}
}
