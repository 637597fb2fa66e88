// Package registrytest starts real container registries inside a test
// process.
//
// The registry is the reference implementation, distribution v3, with
// in-memory storage: tests exercise the same protocol quirks (challenges,
// scopes, manifest validation, error bodies) a deployed registry has, instead
// of a fake that agrees with whatever the code under test assumes. Token
// authentication is served by a small token server that follows the Docker
// token specification, on a port of its own, so that clients have to follow
// the realm the registry advertises.
//
// Every listener binds 127.0.0.1:0, so parallel test binaries never collide,
// and Close stops every server and goroutine a Registry started, so tests can
// use go.uber.org/goleak.
//
// distribution logs through the process-wide logrus logger; Start silences it
// once per process. Set REGISTRYTEST_LOG=1 to keep that output when debugging.
package registrytest

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// Register the access controllers and the storage driver the
	// configuration below names; distribution looks them up by name.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// AuthMode selects how a Registry authenticates clients.
type AuthMode int

const (
	// AuthNone lets every client pull and push anonymously.
	AuthNone AuthMode = iota
	// AuthToken makes the registry answer 401 with a Bearer challenge whose
	// realm is a separate token server (Docker token specification).
	AuthToken
	// AuthHtpasswd makes the registry answer 401 with a Basic challenge and
	// check every request against a bcrypt htpasswd file.
	AuthHtpasswd
)

// String returns the name of the mode, for test names and messages.
func (m AuthMode) String() string {
	switch m {
	case AuthNone:
		return "none"
	case AuthToken:
		return "token"
	case AuthHtpasswd:
		return "htpasswd"
	default:
		return fmt.Sprintf("AuthMode(%d)", int(m))
	}
}

const (
	// Service is the service name the registry advertises in its Bearer
	// challenge and the audience of every token.
	Service = "registrytest"
	// Issuer is the issuer of every token; the registry trusts no other.
	Issuer = "registrytest-issuer"
	// Realm is the Basic realm of the htpasswd registry and of the token
	// server's 401 answers.
	Realm = "registrytest"

	// defaultTokenTTL is the lifetime of a token when Options.TokenTTL is 0.
	defaultTokenTTL = 5 * time.Minute
	// fixtureHeader marks requests made by the fixture helpers. Its value is
	// random per Registry, so no client under test can send it by accident.
	fixtureHeader = "X-Registrytest-Fixture"
)

// Options configures a Registry. The zero value is an anonymous plain-HTTP
// registry.
type Options struct {
	// Auth selects the authentication mode; the default is AuthNone.
	Auth AuthMode
	// Users maps username to password. For AuthToken they authenticate at
	// the token server with Basic and get pull access to every repository;
	// for AuthHtpasswd they go into a bcrypt htpasswd file and may pull and
	// push (distribution's htpasswd mode has no per-user rights).
	Users map[string]string
	// Authenticate, when set, decides the token server's Basic credentials
	// instead of Users: for passwords issued elsewhere, such as ECR Public's
	// GetAuthorizationToken (AuthToken only).
	Authenticate func(user, password string) bool
	// PublicRepositories lists repository names, exact or a prefix ending
	// in "/*" ("*" alone matches all), that anonymous clients may pull
	// (AuthToken only). Every other repository needs a known user.
	PublicRepositories []string
	// TLS serves the registry and the token server over HTTPS with a
	// certificate for 127.0.0.1, ::1 and localhost, signed by a CA generated
	// for this Registry (see CAPEM and ClientTLSConfig).
	TLS bool
	// DNSNames are further names the TLS certificate is valid for, so that
	// a test can reach the registry under a real registry's host name
	// through a ConnectProxy (TLS only).
	DNSNames []string
	// IPAddresses are further IP addresses the TLS certificate is valid
	// for: a private address (10.x) a ConnectProxy maps to the registry,
	// never one that is dialled (TLS only).
	IPAddresses []net.IP
	// Wrap, when set, wraps the registry handler: fault injection, request
	// counting, challenge rewriting. The token server is not wrapped, and
	// requests made by the fixture helpers (PushImage and friends) bypass
	// it, so a fault aimed at the code under test cannot break the setup.
	Wrap func(http.Handler) http.Handler
	// TokenResponse (AuthToken only) names the JSON field(s) that carry the
	// token: "token", "access_token" or "both" (the default). Real token
	// servers differ here and clients must accept either.
	TokenResponse string
	// TokenTTL (AuthToken only) is the lifetime of a token; the default is
	// 5 minutes. distribution accepts a token up to 60 s past its expiry,
	// unless StrictTokenExpiry is set.
	TokenTTL time.Duration
	// StrictTokenExpiry (AuthToken only) makes the registry refuse a token
	// from the second its exp claim names, as a registry without
	// distribution's 60 s of leeway does: 401 with a Bearer challenge whose
	// error is invalid_token.
	StrictTokenExpiry bool
	// RefreshTokens (AuthToken only) maps refresh token to username for the
	// OAuth2 grant_type=refresh_token flow (what Docker stores as an
	// identity token). Refresh tokens the token server issues itself are
	// added to its own table, not to this map.
	RefreshTokens map[string]string
	// DisableOAuthPOST (AuthToken only) makes POST /token answer
	// DisabledOAuthPOSTStatus, as token servers without OAuth2 support do.
	DisableOAuthPOST bool
	// DisabledOAuthPOSTStatus is the status POST /token answers when
	// DisableOAuthPOST is set; the default is 405. Some servers answer 404,
	// the only status go-containerregistry falls back to GET on.
	DisabledOAuthPOSTStatus int
	// Latency delays every answer of the registry and the token server, as
	// a network round trip would, for benchmarks that should not reward
	// loopback's zero latency (a process per request costs little there).
	// Fixture pushes are not delayed.
	Latency time.Duration
	// AllowIncompleteIndexes lets an image index reference manifests the
	// repository does not hold (distribution rejects such a push by
	// default), for PushRaw fixtures of broken multi-platform images.
	AllowIncompleteIndexes bool
	// RequireClientCert makes the registry (not the token server) require
	// a client certificate signed by this Registry's CA in the TLS
	// handshake: a client without one fails the handshake. Issue one with
	// ClientCertificatePEM; HTTPTransport and ClientTLSConfig carry none
	// (TLS only).
	RequireClientCert bool
	// Referrers serves the OCI 1.1 referrers API in front of the registry
	// (see referrers.go); without it the path answers 404, as distribution
	// v3 does, and pushes keep the fallback tag instead.
	Referrers bool
	// ReferrersPageSize pages the referrers API with Link headers, this
	// many entries a page; 0 answers with one page (Referrers only).
	ReferrersPageSize int
	// ReferrersConfigArtifactType makes the referrers API list each
	// referrer's config media type as its artifactType, as some registries
	// do, whatever the manifest's own artifactType (Referrers only).
	ReferrersConfigArtifactType bool
}

// Registry is a running distribution registry, and for AuthToken its token
// server. Fields are read-only after Start.
type Registry struct {
	// Host is "127.0.0.1:PORT": what a reference starts with, as in
	// Host+"/app:1".
	Host string
	// URL is "http://127.0.0.1:PORT", or "https://..." with TLS.
	URL string
	// TokenURL is the token realm, "http(s)://localhost:PORT2/token"
	// (AuthToken only). It names localhost rather than 127.0.0.1 because
	// go-containerregistry refuses a loopback IP realm other than the
	// registry's own host:port.
	TokenURL string
	// CAPEM is the PEM of the CA that signed the server certificate (TLS
	// only).
	CAPEM []byte
	// Requests records every request the registry received, as seen before
	// Options.Wrap (so faults injected by Wrap are recorded with their
	// status). Fixture helper requests are not recorded.
	Requests *RequestLog
	// TokenRequests records every request the token server received, except
	// the fixture helpers'.
	TokenRequests *RequestLog

	opts      Options
	app       *handlers.App
	servers   []*http.Server
	serveDone sync.WaitGroup
	active    activeRequests
	serveErrs chan error
	dir       string
	tlsConfig *tls.Config // server side; nil without TLS
	caCert    *x509.Certificate
	caKey     *ecdsa.PrivateKey // signs client certificates

	adminUser, adminPass string
	fixtureToken         string
	fixtureTransport     *http.Transport

	signingKey *ecdsa.PrivateKey
	keyID      string
	refreshMu  sync.Mutex
	issued     map[string]string // refresh tokens issued by the token server -> username

	closeOnce sync.Once
	closeErr  error
}

var silenceOnce sync.Once

// silenceLogs mutes the logrus standard logger, which distribution and
// go-events write every request and access-control decision to. It is
// process-wide state, so it is done once and can be turned off for debugging.
func silenceLogs() {
	silenceOnce.Do(func() {
		if os.Getenv("REGISTRYTEST_LOG") != "" {
			return
		}
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})
}

// New starts a Registry for a test, closes it when the test ends and fails
// the test if it cannot start.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("registrytest: close: %v", err)
		}
	})
	return r
}

// Start starts a registry (and, for AuthToken, a token server) on free
// ports of 127.0.0.1. ctx bounds the start only: the registry runs until
// Close.
func Start(ctx context.Context, opts Options) (_ *Registry, rerr error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validate(opts); err != nil {
		return nil, err
	}
	if err := validateTLS(opts); err != nil {
		return nil, err
	}
	silenceLogs()

	r := &Registry{
		opts:          opts,
		Requests:      &RequestLog{},
		TokenRequests: &RequestLog{},
		serveErrs:     make(chan error, 2),
		issued:        map[string]string{},
		adminUser:     "registrytest-admin-" + randomString(6),
		adminPass:     randomString(24),
		fixtureToken:  randomString(24),
	}
	defer func() {
		if rerr != nil {
			_ = r.Close()
		}
	}()

	dir, err := os.MkdirTemp("", "registrytest-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	r.dir = dir

	if opts.TLS {
		if err := r.setupTLS(); err != nil {
			return nil, err
		}
	}

	regLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for registry: %w", err)
	}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	r.Host = regLn.Addr().String()
	r.URL = scheme + "://" + r.Host

	var tokenLn net.Listener
	if opts.Auth == AuthToken {
		tokenLn, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			_ = regLn.Close()
			return nil, fmt.Errorf("listen for token server: %w", err)
		}
		_, port, _ := net.SplitHostPort(tokenLn.Addr().String())
		r.TokenURL = scheme + "://" + net.JoinHostPort("localhost", port) + "/token"
	}

	cfg, err := r.configuration()
	if err == nil {
		r.app, err = newApp(cfg)
	}
	if err != nil {
		_ = regLn.Close()
		if tokenLn != nil {
			_ = tokenLn.Close()
		}
		return nil, err
	}

	r.serve(regLn, r.registryHandler())
	if tokenLn != nil {
		r.serve(tokenLn, r.tokenHandler())
	}

	r.fixtureTransport = r.HTTPTransport()
	if opts.RequireClientCert {
		if err := r.giveFixtureClientCert(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func validate(opts Options) error {
	switch opts.Auth {
	case AuthNone, AuthToken, AuthHtpasswd:
	default:
		return fmt.Errorf("unknown auth mode %d", int(opts.Auth))
	}
	switch opts.TokenResponse {
	case "", "token", "access_token", "both":
	default:
		return fmt.Errorf("token response %q: want \"token\", \"access_token\" or \"both\"", opts.TokenResponse)
	}
	if opts.TokenTTL < 0 {
		return errors.New("token TTL must not be negative")
	}
	return nil
}

// configuration builds what config.yml would hold for this Registry, and
// writes the files it points at (JWKS, htpasswd) into r.dir.
func (r *Registry) configuration() (*configuration.Configuration, error) {
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// The purger is a goroutine that would outlive Close; nothing is
		// left uploading long enough to need it.
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": false},
		},
		"delete": configuration.Parameters{"enabled": true},
	}
	// The secret signs upload state; a fixed random one per Registry keeps
	// distribution from warning and from generating its own.
	cfg.HTTP.Secret = randomString(32)
	if r.opts.AllowIncompleteIndexes {
		cfg.Validation.Manifests.Indexes.Platforms = "none"
	}

	switch r.opts.Auth {
	case AuthToken:
		jwksPath, err := r.writeJWKS()
		if err != nil {
			return nil, err
		}
		cfg.Auth = configuration.Auth{"token": configuration.Parameters{
			"realm":   r.TokenURL,
			"service": Service,
			"issuer":  Issuer,
			"jwks":    jwksPath,
		}}
	case AuthHtpasswd:
		path, err := r.writeHtpasswd()
		if err != nil {
			return nil, err
		}
		cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{
			"realm": Realm,
			"path":  path,
		}}
	}
	return cfg, nil
}

// writeHtpasswd writes Users and the internal admin with the cheapest bcrypt
// cost: the registry checks the hash on every request, and these are test
// passwords.
func (r *Registry) writeHtpasswd() (string, error) {
	var buf []byte
	users := map[string]string{r.adminUser: r.adminPass}
	for u, p := range r.opts.Users {
		users[u] = p
	}
	for u, p := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			return "", fmt.Errorf("hash password of %q: %w", u, err)
		}
		buf = fmt.Appendf(buf, "%s:%s\n", u, hash)
	}
	path := filepath.Join(r.dir, "htpasswd")
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		return "", fmt.Errorf("write htpasswd: %w", err)
	}
	return path, nil
}

// newApp turns distribution's panics on bad configuration into errors.
func newApp(cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("start distribution: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), cfg), nil
}

// registryHandler routes fixture requests straight to distribution and
// everything else through the request log and Options.Wrap.
func (r *Registry) registryHandler() http.Handler {
	var backend http.Handler = r.app
	if r.opts.Referrers {
		backend = newReferrersFront(r.app, r.opts)
	}
	inner := backend
	if r.opts.StrictTokenExpiry {
		inner = r.strictExpiry(inner)
	}
	if r.opts.Wrap != nil {
		inner = r.opts.Wrap(inner)
	}
	logged := r.Requests.middleware(inner, false)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.isFixture(req) {
			backend.ServeHTTP(w, req)
			return
		}
		logged.ServeHTTP(w, req)
	})
}

func (r *Registry) isFixture(req *http.Request) bool {
	v := req.Header.Get(fixtureHeader)
	if v == "" {
		return false
	}
	req.Header.Del(fixtureHeader)
	return v == r.fixtureToken
}

func (r *Registry) serve(ln net.Listener, h http.Handler) {
	if d := r.opts.Latency; d > 0 {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if v := req.Header.Get(fixtureHeader); v == "" || v != r.fixtureToken {
				select {
				case <-time.After(d):
				case <-req.Context().Done():
					return
				}
			}
			inner.ServeHTTP(w, req)
		})
	}
	srv := &http.Server{
		Handler:           r.active.track(h),
		ReadHeaderTimeout: 10 * time.Second,
		// TLS handshake failures are expected in tests that leave the CA
		// out; they are the client's error to report, not ours.
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	if r.tlsConfig != nil {
		srv.TLSConfig = r.tlsConfig.Clone()
	}
	r.servers = append(r.servers, srv)
	r.serveDone.Add(1)
	go func() {
		defer r.serveDone.Done()
		var err error
		if srv.TLSConfig != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.serveErrs <- err
		}
	}()
}

// Close stops the servers, closes their connections, stops distribution's
// goroutines and removes the temporary files. It is safe to call more than
// once.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		var errs []error
		if r.fixtureTransport != nil {
			r.fixtureTransport.CloseIdleConnections()
		}
		for _, srv := range r.servers {
			if err := srv.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		r.serveDone.Wait()
		// http.Server.Close does not wait for handlers; closing their
		// connections cancels their contexts, so they end promptly.
		r.active.wait()
		close(r.serveErrs)
		for err := range r.serveErrs {
			errs = append(errs, err)
		}
		if r.app != nil {
			if err := r.app.Shutdown(); err != nil {
				errs = append(errs, err)
			}
			if err := closeEventSink(r.app); err != nil {
				errs = append(errs, err)
			}
		}
		if r.dir != "" {
			if err := os.RemoveAll(r.dir); err != nil {
				errs = append(errs, err)
			}
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// closeEventSink stops the notification broadcaster NewApp starts
// unconditionally (github.com/docker/go-events, one goroutine per App).
// App.Shutdown leaves it running and the field is unexported, so it is
// reached by reflection; if a future distribution renames the field this
// does nothing and the goleak test in this package fails instead.
func closeEventSink(app *handlers.App) error {
	events := reflect.ValueOf(app).Elem().FieldByName("events")
	if !events.IsValid() || events.Kind() != reflect.Struct {
		return nil
	}
	sink := events.FieldByName("sink")
	if !sink.IsValid() || sink.Kind() != reflect.Interface || sink.IsNil() {
		return nil
	}
	sink = reflect.NewAt(sink.Type(), unsafe.Pointer(sink.UnsafeAddr())).Elem()
	closer, ok := sink.Interface().(interface{ Close() error })
	if !ok {
		return nil
	}
	return closer.Close()
}

// Count is r.Requests.Count.
func (r *Registry) Count(method, pathPrefix string) int {
	return r.Requests.Count(method, pathPrefix)
}

// HTTPTransport returns a new transport that trusts this Registry's CA (with
// TLS) and uses no proxy. The caller owns it and should call
// CloseIdleConnections when done, so no connection goroutine outlives the
// test.
func (r *Registry) HTTPTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       r.ClientTLSConfig(),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand.Read does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// activeRequests counts handlers still running, so Close can wait for them
// after the servers stopped accepting: a handler goroutine that outlived
// Close would be reported by goleak in the next test.
type activeRequests struct {
	mu   sync.Mutex
	n    int
	cond *sync.Cond
}

func (a *activeRequests) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		a.mu.Lock()
		a.n++
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.n--
			if a.n == 0 && a.cond != nil {
				a.cond.Broadcast()
			}
			a.mu.Unlock()
		}()
		h.ServeHTTP(w, req)
	})
}

func (a *activeRequests) wait() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cond == nil {
		a.cond = sync.NewCond(&a.mu)
	}
	for a.n > 0 {
		a.cond.Wait()
	}
}
