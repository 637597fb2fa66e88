package registry

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"0":                             0,
		"-3":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0, // in the past
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

// statusSequence serves the given statuses in order, then 200.
func statusSequence(t *testing.T, retryAfter string, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(statuses[i])
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func get(t *testing.T, rt http.RoundTripper, ctx context.Context, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if resp != nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestRetryTransport(t *testing.T) {
	t.Run("retries 5xx and 429 into success", func(t *testing.T) {
		srv, n := statusSequence(t, "", http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway)
		resp, err := get(t, &retryTransport{inner: http.DefaultTransport, maxRetries: 3}, context.Background(), srv.URL)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("got %v, %v; want 200", resp, err)
		}
		if got := n.Load(); got != 4 {
			t.Errorf("server saw %d requests, want 4", got)
		}
	})
	t.Run("gives up after max retries", func(t *testing.T) {
		srv, n := statusSequence(t, "", 503, 503, 503, 503)
		resp, err := get(t, &retryTransport{inner: http.DefaultTransport, maxRetries: 1}, context.Background(), srv.URL)
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("got %v, %v; want the 503", resp, err)
		}
		if got := n.Load(); got != 2 {
			t.Errorf("server saw %d requests, want 2", got)
		}
	})
	t.Run("does not retry client errors", func(t *testing.T) {
		srv, n := statusSequence(t, "", http.StatusNotFound)
		resp, _ := get(t, &retryTransport{inner: http.DefaultTransport, maxRetries: 3}, context.Background(), srv.URL)
		if resp.StatusCode != http.StatusNotFound || n.Load() != 1 {
			t.Errorf("got %d after %d requests, want 404 after 1", resp.StatusCode, n.Load())
		}
	})
	t.Run("a Retry-After beyond the deadline answers at once, noting it", func(t *testing.T) {
		srv, n := statusSequence(t, "30", http.StatusTooManyRequests)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ctx, note := withRateLimitNote(ctx)
		resp, err := get(t, &retryTransport{inner: http.DefaultTransport, maxRetries: 3}, ctx, srv.URL)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("got %v, %v; want the 429", resp, err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("server saw %d requests, want 1: waiting 30s cannot fit a 5s deadline", got)
		}
		if d, seen := note.get(); !seen || d != 30*time.Second {
			t.Errorf("noted Retry-After %s (seen %v), want 30s", d, seen)
		}
	})
	t.Run("a Retry-After that fits is honoured", func(t *testing.T) {
		srv, n := statusSequence(t, "1", http.StatusTooManyRequests)
		resp, err := get(t, &retryTransport{inner: http.DefaultTransport, maxRetries: 3}, context.Background(), srv.URL)
		if err != nil || resp.StatusCode != http.StatusOK || n.Load() != 2 {
			t.Fatalf("got %v, %v after %d requests; want 200 after 2", resp, err, n.Load())
		}
	})
	t.Run("a refresh-token POST is retried with its body", func(t *testing.T) {
		var bodies []string
		srv, n := statusSequence(t, "", 503)
		inner := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			b, _ := io.ReadAll(req.Body)
			bodies = append(bodies, string(b))
			req.Body = io.NopCloser(bytes.NewReader(b))
			return http.DefaultTransport.RoundTrip(req)
		})
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-x"}, "service": {"s"}}.Encode()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&retryTransport{inner: inner, maxRetries: 3}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n.Load() != 2 {
			t.Errorf("got %d after %d requests, want 200 after 2", resp.StatusCode, n.Load())
		}
		for i, b := range bodies {
			if b != form {
				t.Errorf("attempt %d sent body %q, want %q", i+1, b, form)
			}
		}
	})
	t.Run("another POST is never retried", func(t *testing.T) {
		srv, n := statusSequence(t, "", 503)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		resp, err := (&retryTransport{inner: http.DefaultTransport, maxRetries: 3}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if n.Load() != 1 {
			t.Errorf("POST sent %d times, want 1", n.Load())
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 0; attempt < 70; attempt++ {
		d := backoff(attempt)
		if d <= 0 || d > retryMaxDelay {
			t.Fatalf("backoff(%d) = %s, want within (0, %s]", attempt, d, retryMaxDelay)
		}
	}
}
