package registry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Docker Hub counts every manifest GET against a pull limit and says where a
// client stands in `ratelimit-limit` and `ratelimit-remaining` headers (on
// GET and HEAD alike; HEAD itself is not counted), each a count followed by
// the window: `100;w=21600`. Other registries that send the same headers are
// treated the same way.

// RateLimit is what a registry said about its pull limit in one answer.
type RateLimit struct {
	// Registry is the canonical registry host.
	Registry string
	// Limit and Remaining are the pulls the window allows and those left.
	Limit, Remaining int
	// Window is the window the limit applies to; 0 when not said.
	Window time.Duration
	// Policy is the ratelimit-limit header as sent, e.g. "100;w=21600".
	Policy string
}

// Low reports whether fewer than 10% of the pulls are left.
func (r RateLimit) Low() bool { return r.Remaining*10 < r.Limit }

// parseRateLimit reads the rate-limit headers of an answer; ok is false
// when the registry sent none, or none that parse.
func parseRateLimit(h http.Header) (r RateLimit, ok bool) {
	policy := strings.TrimSpace(h.Get("Ratelimit-Limit"))
	remaining := h.Get("Ratelimit-Remaining")
	if policy == "" || remaining == "" {
		return r, false
	}
	limit, window, ok1 := parseRateLimitValue(policy)
	left, _, ok2 := parseRateLimitValue(remaining)
	if !ok1 || !ok2 {
		return r, false
	}
	return RateLimit{Limit: limit, Remaining: left, Window: window, Policy: policy}, true
}

// parseRateLimitValue reads "100;w=21600": a count, then parameters, of
// which w is the window in seconds.
func parseRateLimitValue(v string) (n int, window time.Duration, ok bool) {
	parts := strings.Split(v, ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n < 0 {
		return 0, 0, false
	}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "w") {
			if secs, err := strconv.Atoi(val); err == nil && secs > 0 {
				window = time.Duration(secs) * time.Second
			}
		}
	}
	return n, window, true
}

// RateLimitWatch collects, for one read, the pull limits it should warn
// about: those nearly used up, each registry's only the first time any read
// of the client sees it so.
type RateLimitWatch struct {
	mu  sync.Mutex
	low []RateLimit
}

// Low returns the pull limits to warn about, in the order seen.
func (w *RateLimitWatch) Low() []RateLimit {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]RateLimit(nil), w.low...)
}

type rateLimitWatchKey struct{}

// WatchRateLimits returns ctx with a watch that collects, from every request
// made with it, the pull limits the read should warn about.
func WatchRateLimits(ctx context.Context) (context.Context, *RateLimitWatch) {
	w := &RateLimitWatch{}
	return context.WithValue(ctx, rateLimitWatchKey{}, w), w
}

// rateLimits remembers which registries' nearly exhausted limits a read has
// already been told about, so that a plan warns once per registry.
type rateLimits struct {
	mu     sync.Mutex
	warned map[string]bool
}

// observeRateLimit logs what an answer says about the pull limit of
// registry and, when few pulls are left and no read was told yet, gives it
// to the read's watch.
func (c *Client) observeRateLimit(ctx context.Context, registry, method string, h http.Header) {
	r, ok := parseRateLimit(h)
	if !ok {
		return
	}
	r.Registry = registry
	tflog.Debug(ctx, "registry pull limit", map[string]any{
		"registry": registry, "limit": r.Limit, "remaining": r.Remaining, "window_seconds": int(r.Window.Seconds()),
		"method": method,
	})
	w, watched := ctx.Value(rateLimitWatchKey{}).(*RateLimitWatch)
	if !r.Low() || !watched {
		return
	}
	c.limits.mu.Lock()
	first := !c.limits.warned[registry]
	if first {
		if c.limits.warned == nil {
			c.limits.warned = map[string]bool{}
		}
		c.limits.warned[registry] = true
	}
	c.limits.mu.Unlock()
	if first {
		w.mu.Lock()
		w.low = append(w.low, r)
		w.mu.Unlock()
	}
}
