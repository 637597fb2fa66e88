package registrytest

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Request is what a RequestLog keeps of one request. It holds no credential,
// so tests can print it freely.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// HasAuthorization reports whether an Authorization header was sent.
	HasAuthorization bool
	// AuthScheme is "Basic", "Bearer", another scheme as sent, or "".
	AuthScheme string
	// Scopes are the scope values a token request asked for, from the
	// query (GET) or the form (POST), split on spaces. Empty for registry
	// requests.
	Scopes []string
	// Status is the status the handler answered with.
	Status int
	// ClientCert is the common name of the client certificate the TLS
	// handshake verified, or "" when none was (Options.RequireClientCert).
	ClientCert string
}

// RequestLog records requests a server received. It is safe for concurrent
// use. Besides the Request values it keeps, in memory only, the raw material
// SawSecret searches.
type RequestLog struct {
	mu      sync.Mutex
	entries []logEntry
}

type logEntry struct {
	req Request
	// evidence holds what a credential could hide in: the Authorization
	// header raw and decoded, the request URI raw and unescaped, and for
	// token requests the body raw and unescaped.
	evidence []string
}

// All returns a copy of the recorded requests, oldest first.
func (l *RequestLog) All() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.entries))
	for i, e := range l.entries {
		out[i] = e.req
		out[i].Scopes = append([]string(nil), e.req.Scopes...)
	}
	return out
}

// Count returns how many recorded requests have the method (any when "")
// and a path starting with pathPrefix.
func (l *RequestLog) Count(method, pathPrefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if (method == "" || e.req.Method == method) && strings.HasPrefix(e.req.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// Reset forgets every recorded request.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// SawSecret reports whether secret reached the server in any recorded
// request: in an Authorization header (also inside a Basic header's base64),
// in the URL or query, or in the body of a token request. Tests use it to
// prove a password went only where it should.
func (l *RequestLog) SawSecret(secret string) bool {
	if secret == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		for _, s := range e.evidence {
			if strings.Contains(s, secret) {
				return true
			}
		}
	}
	return false
}

func (l *RequestLog) add(e logEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
}

// maxLoggedBody bounds what is buffered from a token request body; token
// requests are small forms.
const maxLoggedBody = 1 << 20

// middleware records each request after next has answered it. With
// withBody it also buffers the body (token requests only: registry bodies
// are blobs).
func (l *RequestLog) middleware(next http.Handler, withBody bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		e := logEntry{req: Request{
			Method:   req.Method,
			Path:     req.URL.Path,
			RawQuery: req.URL.RawQuery,
		}}
		if req.TLS != nil && len(req.TLS.VerifiedChains) > 0 && len(req.TLS.VerifiedChains[0]) > 0 {
			e.req.ClientCert = req.TLS.VerifiedChains[0][0].Subject.CommonName
		}
		if authz := req.Header.Values("Authorization"); len(authz) > 0 {
			e.req.HasAuthorization = true
			scheme, _, _ := strings.Cut(authz[0], " ")
			switch {
			case strings.EqualFold(scheme, "basic"):
				e.req.AuthScheme = "Basic"
			case strings.EqualFold(scheme, "bearer"):
				e.req.AuthScheme = "Bearer"
			default:
				e.req.AuthScheme = scheme
			}
			for _, a := range authz {
				e.evidence = append(e.evidence, a)
				if s, cred, ok := strings.Cut(a, " "); ok && strings.EqualFold(s, "basic") {
					if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
						e.evidence = append(e.evidence, string(dec))
					}
				}
			}
		}
		e.evidence = append(e.evidence, unescapedToo(req.URL.RequestURI())...)
		if withBody {
			scopes := req.URL.Query()["scope"]
			if req.Body != nil {
				body, err := io.ReadAll(io.LimitReader(req.Body, maxLoggedBody))
				_ = req.Body.Close()
				if err == nil {
					req.Body = io.NopCloser(bytes.NewReader(body))
					e.evidence = append(e.evidence, unescapedToo(string(body))...)
					if form, err := url.ParseQuery(string(body)); err == nil {
						scopes = append(scopes, form["scope"]...)
					}
				} else {
					req.Body = http.NoBody
				}
			}
			for _, s := range scopes {
				e.req.Scopes = append(e.req.Scopes, strings.Fields(s)...)
			}
		}

		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, req)
		e.req.Status = sw.status
		if e.req.Status == 0 {
			e.req.Status = http.StatusOK
		}
		l.add(e)
	})
}

func unescapedToo(s string) []string {
	out := []string{s}
	if u, err := url.QueryUnescape(s); err == nil && u != s {
		out = append(out, u)
	}
	return out
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets handlers that stream keep doing so through the log.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Fault returns a wrapper for Options.Wrap that answers the requests match
// selects with respond, and passes every other request to the registry.
// Wraps compose: Wrap: func(h http.Handler) http.Handler { return
// Fault(m1, r1)(Fault(m2, r2)(h)) }.
func Fault(match func(*http.Request) bool, respond http.HandlerFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if match(req) {
				respond(w, req)
				return
			}
			next.ServeHTTP(w, req)
		})
	}
}

// Match returns a matcher for Fault: the method (any when "") and a path
// starting with pathPrefix.
func Match(method, pathPrefix string) func(*http.Request) bool {
	return func(req *http.Request) bool {
		return (method == "" || req.Method == method) && strings.HasPrefix(req.URL.Path, pathPrefix)
	}
}

// Respond returns a responder for Fault that answers status with a registry
// error body (code, and the status text as message), as distribution would.
// A 429 or 503 also gets "Retry-After: 1".
func Respond(status int, code string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeErrors(w, status, code, http.StatusText(status))
	}
}
