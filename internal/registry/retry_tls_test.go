package registry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRetryTransportTLSFailureNotRetried: HTTPS to a plain-HTTP registry
// (go-containerregistry tries HTTPS first for insecure and loopback
// registries, then HTTP) fails at once, without retries and their back-off:
// with retries, every repository's first ping waited for them.
func TestRetryTransportTLSFailureNotRetried(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	rt := &retryTransport{inner: srv.Client().Transport, maxRetries: 3}
	_, err := get(t, rt, context.Background(), strings.Replace(srv.URL, "http://", "https://", 1))
	if err == nil || !isTLSError(err) {
		t.Fatalf("HTTPS to a plain-HTTP server: %v, want a TLS error", err)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections for one request; a TLS failure must not be retried", got)
	}
}
