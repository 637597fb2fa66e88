package registrytest

// Fault injection: servers that stand for somewhere other than the registry
// (a redirect target, a realm on another host, a misbehaving token server, a
// proxy that must never be used), and responders and wrappers that make a
// registry or such a server answer with the faults a hostile or broken
// registry produces. Everything listens on loopback, records what it
// received in a RequestLog (so a test can prove with SawSecret that no
// credential reached it), and stops with the test, goroutines included.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// OriginOptions configures an Origin.
type OriginOptions struct {
	// TLSFrom, when set, serves HTTPS with a certificate from that
	// Registry's CA (which must use TLS), valid for localhost, 127.0.0.1,
	// 127.0.0.2 and ::1: a client that trusts the registry trusts the
	// origin, as it would a CDN with a public certificate.
	TLSFrom *Registry
	// Addr is the address to listen on; the default is "127.0.0.1:0".
	// "127.0.0.2:PORT" is another host at a registry's own port.
	Addr string
	// Name is the host name URL uses: "localhost" (resolving to the
	// listening address) names the origin differently from the registry's
	// IP. The default is the listening IP.
	Name string
}

// Origin is a recording HTTP(S) server on loopback: somewhere other than
// the registry.
type Origin struct {
	// URL is "http(s)://NAME:PORT"; Host is "NAME:PORT".
	URL, Host string
	// Requests records every request received, token-request bodies
	// included (SawSecret looks there too).
	Requests *RequestLog

	srv    *http.Server
	done   sync.WaitGroup
	active activeRequests
}

// NewOrigin starts an Origin serving h; t.Cleanup stops it and waits for its
// handlers.
func NewOrigin(t testing.TB, opts OriginOptions, h http.Handler) *Origin {
	t.Helper()
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("registrytest: origin: %v", err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if opts.Name != "" {
		host = opts.Name
	}
	o := &Origin{Host: net.JoinHostPort(host, port), Requests: &RequestLog{}}
	scheme := "http"
	o.srv = &http.Server{
		Handler:           o.active.track(o.Requests.middleware(h, true)),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	if opts.TLSFrom != nil {
		cfg, err := opts.TLSFrom.originTLS()
		if err != nil {
			ln.Close()
			t.Fatalf("registrytest: origin: %v", err)
		}
		o.srv.TLSConfig = cfg
		scheme = "https"
	}
	o.URL = scheme + "://" + o.Host
	o.done.Add(1)
	go func() {
		defer o.done.Done()
		if o.srv.TLSConfig != nil {
			_ = o.srv.ServeTLS(ln, "", "")
		} else {
			_ = o.srv.Serve(ln)
		}
	}()
	t.Cleanup(func() {
		_ = o.srv.Close()
		o.done.Wait()
		o.active.wait()
	})
	return o
}

// originTLS issues a server certificate from r's CA for the names an Origin
// may be reached by.
func (r *Registry) originTLS() (*tls.Config, error) {
	if r.caCert == nil || r.caKey == nil {
		return nil, errors.New("TLSFrom: the registry does not use TLS")
	}
	der, key, err := issue(r.caCert, r.caKey, x509.Certificate{
		Subject:     pkix.Name{CommonName: "registrytest origin", Organization: []string{"registrytest"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2), net.IPv6loopback},
	})
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, r.caCert.Raw}, PrivateKey: key}},
	}, nil
}

// Redirect answers with status (a 3xx) and a Location that to computes from
// the request, e.g. another origin's URL plus the request's path.
func Redirect(status int, to func(*http.Request) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", to(r))
		w.WriteHeader(status)
	}
}

// Challenge answers 401 with the given WWW-Authenticate value and a registry
// error body.
func Challenge(wwwAuthenticate string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", wwwAuthenticate)
		writeErrors(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
	}
}

// Serve answers with status, the headers and body as given.
func Serve(status int, header http.Header, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// Counter counts bytes a responder managed to write: what the client let
// through before it stopped reading.
type Counter struct{ n atomic.Int64 }

// Load returns the bytes written so far.
func (c *Counter) Load() int64 { return c.n.Load() }

// Endless answers with status and header and then a body that never ends,
// until the client stops reading (or the server closes), counting what it
// wrote into written (which may be nil). With a Content-Length in header
// the body is announced as that long, and still never ends early.
func Endless(status int, header http.Header, written *Counter) http.HandlerFunc {
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KiB
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			if written != nil {
				written.n.Add(int64(n))
			}
			if err != nil {
				return
			}
		}
	}
}

// Trickle answers with status and header at once, then writes body one byte
// every interval, flushing each, until it is done or the client leaves.
func Trickle(status int, header http.Header, body []byte, every time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		for _, b := range body {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(every):
			}
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}

// Stall never answers: the handler waits until the client gives up or the
// server closes.
func Stall() http.HandlerFunc {
	return func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}
}

// RateLimited answers like a registry over its rate limit: status (429 or
// 503), Retry-After set to what retryAfter returns when the request arrives
// (seconds, or an HTTP date: see RetryAfterDate), and a TOOMANYREQUESTS
// error body.
func RateLimited(status int, retryAfter func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if v := retryAfter(); v != "" {
			w.Header().Set("Retry-After", v)
		}
		code := "TOOMANYREQUESTS"
		if status == http.StatusServiceUnavailable {
			code = "UNAVAILABLE"
		}
		writeErrors(w, status, code, http.StatusText(status))
	}
}

// RetryAfterDate returns a Retry-After value d from now as an HTTP date.
// HTTP dates have whole seconds, so the wait it asks for is between d-1s
// and d.
func RetryAfterDate(d time.Duration) func() string {
	return func() string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
}

// RetryAfterSeconds returns a Retry-After value of s seconds.
func RetryAfterSeconds(s int) func() string {
	return func() string { return strconv.Itoa(s) }
}

// Stamps records when matching requests arrived and what they were answered
// with, for tests of waits and retries.
type Stamps struct {
	mu      sync.Mutex
	entries []Stamp
}

// Stamp is one request seen by Once or Stamp.
type Stamp struct {
	At      time.Time
	Method  string
	Path    string
	Faulted bool
}

// All returns the stamps in arrival order.
func (s *Stamps) All() []Stamp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stamp(nil), s.entries...)
}

func (s *Stamps) add(r *http.Request, faulted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = append(s.entries, Stamp{At: time.Now(), Method: r.Method, Path: r.URL.Path, Faulted: faulted})
}

// FaultFirst is Fault for the first n requests match selects: later ones
// pass to the registry, as they would once a rate limit or an outage has
// passed. Every matching request is stamped in stamps (which may be nil).
func FaultFirst(n int, match func(*http.Request) bool, respond http.HandlerFunc, stamps *Stamps) func(http.Handler) http.Handler {
	var seen atomic.Int64
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			faulted := seen.Add(1) <= int64(n)
			if stamps != nil {
				stamps.add(r, faulted)
			}
			if faulted {
				respond(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RewriteChallenge is a wrapper for Options.Wrap that passes every
// WWW-Authenticate value the registry answers with through rewrite: to
// advertise a realm elsewhere (another host, plain HTTP, a metadata
// address) while the registry itself is unchanged.
func RewriteChallenge(rewrite func(string) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&headerHook{ResponseWriter: w, hook: func(h http.Header) {
				for i, v := range h.Values("WWW-Authenticate") {
					h["Www-Authenticate"][i] = rewrite(v)
				}
			}}, r)
		})
	}
}

// RealmTo returns a rewrite for RewriteChallenge that replaces the realm of
// a Bearer challenge with realm.
func RealmTo(realm string) func(string) string {
	return func(v string) string {
		start := strings.Index(v, `realm="`)
		if start < 0 {
			return v
		}
		end := strings.Index(v[start+len(`realm="`):], `"`)
		if end < 0 {
			return v
		}
		return v[:start] + `realm="` + realm + `"` + v[start+len(`realm="`)+end+1:]
	}
}

// headerHook runs hook on the headers just before they are written.
type headerHook struct {
	http.ResponseWriter
	hook func(http.Header)
	done bool
}

func (h *headerHook) WriteHeader(code int) {
	if !h.done {
		h.done = true
		h.hook(h.Header())
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerHook) Write(b []byte) (int, error) {
	if !h.done {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}

func (h *headerHook) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// Tamper returns a responder that asks next (the registry) for the same
// request and answers with what it answered, except that the body goes
// through mutate, which may also change the headers: a proxy that alters
// content, keeping or forging Docker-Content-Digest. Content-Length follows
// the new body.
func Tamper(next http.Handler, mutate func(h http.Header, body []byte) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := mutate(rec.header, rec.body.Bytes())
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	}
}

// recorder is a ResponseWriter that keeps what it is given.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.wrote = true; return r.body.Write(b) }

// TokenProxy forwards token requests to r's token server, as a token
// service on another host would answer them, passing each successful JSON
// answer through rewrite (nil for none): to drop or shrink expires_in, say.
// It records the tokens the token server issued in issued, when not nil, so
// that a test can look for them where they must not be.
func TokenProxy(t testing.TB, r *Registry, rewrite func(map[string]any), issued *Secrets) http.Handler {
	t.Helper()
	target, err := url.Parse(r.TokenURL)
	if err != nil || r.TokenURL == "" {
		t.Fatal("registrytest: TokenProxy needs a registry with AuthToken")
	}
	tr := r.HTTPTransport()
	t.Cleanup(tr.CloseIdleConnections)
	target.Path = ""
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/token"
			pr.Out.Host = target.Host
		},
		Transport: tr,
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode != http.StatusOK {
				return nil
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxLoggedBody))
			resp.Body.Close()
			if err != nil {
				return err
			}
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				for _, k := range []string{"token", "access_token", "refresh_token"} {
					if s, ok := m[k].(string); ok && issued != nil {
						issued.Add(s)
					}
				}
				if rewrite != nil {
					rewrite(m)
					if body, err = json.Marshal(m); err != nil {
						return err
					}
				}
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	return p
}

// Secrets is a set of secret values seen during a test (tokens issued,
// passwords handed out), safe for concurrent use.
type Secrets struct {
	mu sync.Mutex
	m  map[string]bool
}

// Add records s; empty strings are ignored.
func (s *Secrets) Add(v string) {
	if v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	s.m[v] = true
}

// All returns the recorded values.
func (s *Secrets) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.m))
	for v := range s.m {
		out = append(out, v)
	}
	return out
}

// RefusingProxy is an HTTP proxy on loopback that forwards nothing: every
// CONNECT and every proxied request is answered 502 and recorded. With
// HTTP_PROXY and HTTPS_PROXY pointing at it, a client that tries to reach
// any host but loopback (which Go never proxies) is stopped here, so a test
// of a protection against, say, a metadata address sends nothing off the
// machine even when the protection is broken; and the test can see what
// was attempted.
type RefusingProxy struct {
	// URL is "http://127.0.0.1:PORT".
	URL string
	// Requests records plain-HTTP proxied requests, headers included (so
	// SawSecret sees credentials sent through the proxy). CONNECT
	// requests are recorded too, with their target as Path.
	Requests *RequestLog

	mu      sync.Mutex
	targets []string
}

// NewRefusingProxy starts a RefusingProxy; t.Cleanup stops it.
func NewRefusingProxy(t testing.TB) *RefusingProxy {
	t.Helper()
	p := &RefusingProxy{Requests: &RequestLog{}}
	o := NewOrigin(t, OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Host
		if r.Method != http.MethodConnect && r.URL.Host != "" {
			target = r.URL.Host
		}
		p.mu.Lock()
		p.targets = append(p.targets, target)
		p.mu.Unlock()
		http.Error(w, "registrytest: this proxy forwards nothing ("+target+")", http.StatusBadGateway)
	}))
	p.URL, p.Requests = o.URL, o.Requests
	return p
}

// Targets lists every host:port a client asked the proxy for.
func (p *RefusingProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// String names the proxy in test messages.
func (p *RefusingProxy) String() string { return fmt.Sprintf("refusing proxy %s", p.URL) }
