package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// recordingTransport answers every request with 200 and remembers the last
// one; it never touches the network.
type recordingTransport struct {
	calls atomic.Int32
	last  *http.Request
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.calls.Add(1)
	r.last = req
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// hop makes a request to url that a redirect from prev led to.
func hop(t *testing.T, prev *http.Request, url string, authorization string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if prev != nil {
		req.Response = &http.Response{StatusCode: http.StatusTemporaryRedirect, Request: prev}
	}
	return req
}

// TestGuardRefusesMetadataAddresses: requests to link-local and cloud
// metadata addresses, however written, never reach the transport below;
// loopback, private addresses and names do.
func TestGuardRefusesMetadataAddresses(t *testing.T) {
	refused := []string{
		"http://169.254.169.254/latest/meta-data/?token=s3cr3t",
		"https://169.254.170.2/v2/credentials",
		"http://[fe80::1%25eth0]:8080/v2/",
		"http://[fd00:ec2::254]/latest/api/token",
		"http://100.100.100.200/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/",
		"ftp://registry.example/v2/",
	}
	allowed := []string{
		"http://127.0.0.1:5000/v2/",
		"https://localhost:5000/v2/",
		"https://10.1.2.3/v2/",
		"https://[::1]:5000/v2/",
		"https://registry.example/v2/",
	}
	for _, u := range refused {
		inner := &recordingTransport{}
		_, err := newGuardTransport(inner).RoundTrip(hop(t, nil, u, ""))
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Errorf("%s: got %v, want a RefusedError", u, err)
		}
		if inner.calls.Load() != 0 {
			t.Errorf("%s: the request reached the transport", u)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error shows the query: %v", u, err)
		}
	}
	for _, u := range allowed {
		inner := &recordingTransport{}
		if _, err := newGuardTransport(inner).RoundTrip(hop(t, nil, u, "")); err != nil {
			t.Errorf("%s: %v", u, err)
		}
		if inner.calls.Load() != 1 {
			t.Errorf("%s: the request did not reach the transport", u)
		}
	}
}

// TestGuardRefusesDowngrade: a redirect from HTTPS to HTTP is refused; the
// other directions pass.
func TestGuardRefusesDowngrade(t *testing.T) {
	tests := []struct {
		from, to string
		refused  bool
	}{
		{"https://registry.example/v2/a/manifests/1", "http://registry.example/v2/a/manifests/1", true},
		{"https://registry.example/v2/a/blobs/x", "http://cdn.example/blob", true},
		{"http://127.0.0.1:5000/v2/a/blobs/x", "https://cdn.example/blob", false},
		{"http://127.0.0.1:5000/v2/a/blobs/x", "http://127.0.0.1:5001/blob", false},
		{"https://registry.example/v2/a/blobs/x", "https://cdn.example/blob", false},
	}
	for _, tt := range tests {
		inner := &recordingTransport{}
		_, err := newGuardTransport(inner).RoundTrip(hop(t, hop(t, nil, tt.from, ""), tt.to, ""))
		if got := err != nil; got != tt.refused {
			t.Errorf("%s -> %s: error %v, want refused %v", tt.from, tt.to, err, tt.refused)
		}
		if tt.refused && inner.calls.Load() != 0 {
			t.Errorf("%s -> %s: the downgraded request was sent", tt.from, tt.to)
		}
	}
}

// TestGuardStripsCredentialsAcrossOrigins: the Authorization of an earlier
// hop never goes to another scheme, host or port; credentials minted for the
// redirect target itself, and those for the same origin, pass.
func TestGuardStripsCredentialsAcrossOrigins(t *testing.T) {
	const registryAuth = "Bearer registry-token"
	first := hop(t, nil, "https://registry.example/v2/a/blobs/x", registryAuth)
	tests := []struct {
		to, auth string
		kept     bool
	}{
		{"https://registry.example:8443/blob", registryAuth, false},
		{"https://cdn.example/blob", registryAuth, false},
		{"https://REGISTRY.example/blob", registryAuth, true},
		{"https://registry.example:443/blob", registryAuth, true},
		{"https://cdn.example/blob", "Bearer cdn-anonymous-token", true},
	}
	for _, tt := range tests {
		inner := &recordingTransport{}
		req := hop(t, first, tt.to, tt.auth)
		if _, err := newGuardTransport(inner).RoundTrip(req); err != nil {
			t.Fatalf("%s: %v", tt.to, err)
		}
		got := inner.last.Header.Get("Authorization")
		if kept := got != ""; kept != tt.kept {
			t.Errorf("%s with %q: Authorization %q sent, want kept=%v", tt.to, tt.auth, got, tt.kept)
		}
		if req.Header.Get("Authorization") != tt.auth {
			t.Errorf("%s: the caller's request was modified", tt.to)
		}
	}
	// Two hops away, back on the first origin: the registry's own
	// credentials are fine there, and stripped on the hop in between.
	inner := &recordingTransport{}
	middle := hop(t, first, "https://cdn.example/redirect", registryAuth)
	if _, err := newGuardTransport(inner).RoundTrip(hop(t, middle, "https://registry.example/v2/a/blobs/y", registryAuth)); err != nil {
		t.Fatal(err)
	}
	if inner.last.Header.Get("Authorization") != registryAuth {
		t.Error("the registry's credentials were stripped on a hop back to the registry")
	}
}

// naiveAuthTransport adds a credential to every request, wherever it goes:
// the mistake the guard exists to survive.
type naiveAuthTransport struct{ inner http.RoundTripper }

func (n naiveAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Basic c2VjcmV0OnNlY3JldA==")
	return n.inner.RoundTrip(req)
}

// TestGuardFollowsRedirectsSafely drives net/http's redirect handling over
// real connections: a credential a careless layer above adds to every
// request reaches the registry, not the server on another port it redirects
// to; and a redirect from an HTTPS server to plain HTTP is never followed.
func TestGuardFollowsRedirectsSafely(t *testing.T) {
	var elsewhereAuth atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			elsewhereAuth.Add(1)
		}
		_, _ = io.WriteString(w, "content")
	}))
	defer elsewhere.Close()
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/blob", http.StatusTemporaryRedirect)
	}
	plain := httptest.NewServer(http.HandlerFunc(redirect))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(redirect))
	defer secure.Close()

	pool := x509.NewCertPool()
	pool.AddCert(secure.Certificate())
	base := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: naiveAuthTransport{inner: newGuardTransport(base)}}

	resp, err := client.Get(plain.URL + "/v2/a/blobs/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := elsewhereAuth.Load(); n != 0 {
		t.Errorf("the server on another port received the credentials %d times", n)
	}

	_, err = client.Get(secure.URL + "/v2/a/blobs/x")
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "never downgrades HTTPS") {
		t.Errorf("a redirect from HTTPS to HTTP: got %v, want it refused", err)
	}
}

// TestGuardCapsBodies: an error body ends after maxErrorBody bytes, however
// long the server would go on; a success body longer than maxResponseBody is
// an error; one of exactly that length is read whole.
func TestGuardCapsBodies(t *testing.T) {
	respond := func(status int, body io.Reader) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(body), Request: req}, nil
		})
	}
	read := func(rt http.RoundTripper) (int64, error) {
		resp, err := newGuardTransport(rt).RoundTrip(hop(t, nil, "https://registry.example/v2/", ""))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return io.Copy(io.Discard, resp.Body)
	}
	if n, err := read(respond(http.StatusNotFound, endless{})); err != nil || n != maxErrorBody {
		t.Errorf("an endless error body: read %d bytes (%v), want %d and its end", n, err, maxErrorBody)
	}
	if n, err := read(respond(http.StatusOK, endless{})); err == nil || n != maxResponseBody || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("an endless success body: read %d bytes (%v), want %d and an error", n, err, maxResponseBody)
	}
	if n, err := read(respond(http.StatusOK, io.LimitReader(endless{}, maxResponseBody))); err != nil || n != maxResponseBody {
		t.Errorf("a body of exactly the limit: read %d bytes (%v)", n, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// addrConn is a connection that says it reached addr, without any network.
type addrConn struct {
	net.Conn
	remote net.Addr
	closed *atomic.Bool
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }
func (c addrConn) Close() error         { c.closed.Store(true); return c.Conn.Close() }

// TestGuardDialRefusesResolvedMetadata: a host name that resolves to a
// metadata address is refused once the connection says where it went, before
// anything is written to it.
func TestGuardDialRefusesResolvedMetadata(t *testing.T) {
	for _, tt := range []struct {
		remote  string
		refused bool
	}{
		{"169.254.169.254:80", true},
		{"[fd00:ec2::254]:80", true},
		{"127.0.0.1:5000", false},
		{"192.0.2.10:443", false},
	} {
		var closed atomic.Bool
		remote, err := net.ResolveTCPAddr("tcp", tt.remote)
		if err != nil {
			t.Fatal(err)
		}
		fake := func(context.Context, string, string) (net.Conn, error) {
			a, b := net.Pipe()
			b.Close()
			return addrConn{Conn: a, remote: remote, closed: &closed}, nil
		}
		tr := &http.Transport{DialContext: fake}
		newGuardTransport(tr)
		conn, err := tr.DialContext(context.Background(), "tcp", "metadata.internal.example:80")
		var re *RefusedError
		if got := errors.As(err, &re); got != tt.refused {
			t.Errorf("connection to %s: error %v, want refused %v", tt.remote, err, tt.refused)
		}
		if tt.refused && (!closed.Load() || conn != nil) {
			t.Errorf("connection to %s: refused but not closed", tt.remote)
		}
		if conn != nil {
			conn.Close()
		}
	}
}

// TestRetryLeavesRefusalsAlone: a refused destination is not tried again.
func TestRetryLeavesRefusalsAlone(t *testing.T) {
	var calls atomic.Int32
	inner := roundTripFunc(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, &RefusedError{URL: "http://169.254.169.254/", Reason: "test"}
	})
	rt := &retryTransport{inner: inner, maxRetries: 3}
	if _, err := rt.RoundTrip(hop(t, nil, "https://registry.example/v2/", "")); err == nil {
		t.Fatal("no error")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("a refused request was sent %d times, want 1", n)
	}
}
