package registry

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	// retryBaseDelay is the first back-off; each retry doubles it, with
	// jitter, up to retryMaxDelay.
	retryBaseDelay = 250 * time.Millisecond
	retryMaxDelay  = 5 * time.Second
	// maxRetryAfter caps what a registry may ask us to wait: a Retry-After of
	// an hour should fail now with a diagnostic, not hang the plan.
	maxRetryAfter = 60 * time.Second
)

// retryTransport retries requests that are safe to repeat when they failed
// for reasons that may pass: 429, 5xx and network errors. Safe to repeat
// are GET, HEAD and the OAuth2 refresh-token POST (it changes nothing on
// the token server: ACR's refresh tokens stay valid), whose body is made
// again from GetBody. It honours Retry-After (seconds or an HTTP date),
// never waits past the request's deadline, and records what a rate-limited
// registry said in the request's context so the final error can tell the
// user when to come back.
type retryTransport struct {
	inner      http.RoundTripper
	maxRetries int
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead && !isRefreshTokenPOST(req) {
		return t.inner.RoundTrip(req)
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		try, err := replay(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.inner.RoundTrip(try)
		if !retryable(ctx, resp, err) {
			return resp, err
		}
		var retryAfter time.Duration
		if resp != nil {
			retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if resp.StatusCode == http.StatusTooManyRequests {
				noteRetryAfter(ctx, retryAfter)
			}
		}
		if attempt >= t.maxRetries {
			return resp, err
		}
		wait := backoff(attempt)
		if retryAfter > wait {
			wait = retryAfter
		}
		if wait > maxRetryAfter {
			return resp, err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would outlive the caller: answer now with what we have.
			return resp, err
		}
		if resp != nil {
			// Drain a little so the connection can be reused, then close.
			_, _ = io.CopyN(io.Discard, resp.Body, 4096)
			resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// replay is req for its first attempt, and for a later one a copy with a
// fresh body (the first attempt consumed req's).
func replay(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 0 || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	try := req.Clone(req.Context())
	try.Body = body
	return try, nil
}

func retryable(ctx context.Context, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		// A destination the guard refused stays refused.
		var refused *RefusedError
		var plain *PlainHTTPError
		if errors.As(err, &refused) || errors.As(err, &plain) || isTLSError(err) {
			// Nor does a TLS failure pass: least of all HTTPS tried first
			// on a plain-HTTP registry (insecure, loopback).
			return false
		}
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is exponential with full jitter in its upper half, so that many
// data sources refused at once do not come back in lockstep.
func backoff(attempt int) time.Duration {
	d := retryBaseDelay << attempt
	if d > retryMaxDelay || d <= 0 {
		d = retryMaxDelay
	}
	return d/2 + rand.N(d/2+1) //nolint:gosec // Jitter needs no cryptographic randomness.
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// rateLimitNote carries the last Retry-After seen by any request made on
// behalf of one operation, including token requests made deep inside
// go-containerregistry, back to the operation.
type rateLimitNote struct {
	mu         sync.Mutex
	retryAfter time.Duration
	seen       bool
}

type rateLimitKey struct{}

func withRateLimitNote(ctx context.Context) (context.Context, *rateLimitNote) {
	n := &rateLimitNote{}
	return context.WithValue(ctx, rateLimitKey{}, n), n
}

func noteRetryAfter(ctx context.Context, d time.Duration) {
	if n, ok := ctx.Value(rateLimitKey{}).(*rateLimitNote); ok {
		n.mu.Lock()
		n.retryAfter, n.seen = d, true
		n.mu.Unlock()
	}
}

func (n *rateLimitNote) get() (time.Duration, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.retryAfter, n.seen
}

// CloseIdleConnections passes Client.Close through to the transport below.
func (t *retryTransport) CloseIdleConnections() {
	if ci, ok := t.inner.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}
