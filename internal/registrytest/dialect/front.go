package dialect

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// Options configures a Front.
type Options struct {
	// Users maps username to password.
	Users map[string]string
	// Check, when set, decides credentials instead of Users: for passwords
	// issued elsewhere (ECRPasswords). Expire still applies on top.
	Check func(user, password string) Verdict
	// Public lists repositories anonymous clients may pull: exact names,
	// or a prefix ending in "/*" ("*" alone for all). Every known user may
	// pull every repository unless Restrict says otherwise.
	Public []string
	// Registry configures the distribution registry behind the front (TLS,
	// DNSNames, Latency, ...). Auth is ignored: the front authenticates.
	// Registry.Wrap, when set, wraps the front itself, so faults injected
	// there happen before the dialect answers.
	Registry registrytest.Options
}

// Front is a registry dialect served in front of a distribution registry.
// Its host is the registry's: Registry.Host. Fixtures pushed with the
// registry's helpers (Registry.PushImage and friends) bypass the front.
type Front struct {
	// Host is "127.0.0.1:PORT", what references start with.
	Host string
	// Registry is the registry behind the front; its Requests log records
	// what the front received (with the front's status).
	Registry *registrytest.Registry
	// Auth is the token service's own host, for dialects whose realm is
	// elsewhere (Docker Hub, GitLab); nil otherwise.
	Auth *registrytest.Origin
	// CDN is the other host blob redirects point to.
	CDN *registrytest.Origin

	d      Dialect
	opts   Options
	scheme string

	nextOnce sync.Once
	next     http.Handler // distribution

	mu         sync.Mutex
	public     []string
	restricted map[string]map[string]bool
	expired    map[string]bool
	tokens     map[string]*token
	refresh    map[string]string // refresh token -> user
	cursors    map[string]cursor
	signed     map[string]signedURL
	limited    int
	limitReply *Reply
	quota      *quota
	redirect   Redirect
	head       HeadQuirk
}

// New starts d in front of a new registry; everything stops with the test.
func New(t testing.TB, d *Dialect, opts Options) *Front {
	t.Helper()
	if d == nil || d.Challenge == nil || (!d.Basic && d.Token == nil) {
		t.Fatal("dialect: a dialect needs a Challenge, and a Token service unless it is Basic")
	}
	f := &Front{
		d:          *d,
		opts:       opts,
		scheme:     "http",
		public:     slices.Clone(opts.Public),
		restricted: map[string]map[string]bool{},
		expired:    map[string]bool{},
		tokens:     map[string]*token{},
		refresh:    map[string]string{},
		cursors:    map[string]cursor{},
		signed:     map[string]signedURL{},
		redirect:   d.Blobs.Redirect,
	}
	ro := opts.Registry
	ro.Auth = registrytest.AuthNone
	outer := ro.Wrap
	ro.Wrap = func(next http.Handler) http.Handler {
		f.nextOnce.Do(func() { f.next = next })
		var h http.Handler = f
		if outer != nil {
			h = outer(h)
		}
		return h
	}
	if ro.TLS {
		f.scheme = "https"
	}
	f.Registry = registrytest.New(t, ro)
	f.Host = f.Registry.Host
	origin := registrytest.OriginOptions{Name: "localhost"}
	if ro.TLS {
		origin.TLSFrom = f.Registry
	}
	if d.Token != nil && d.Token.Separate {
		f.Auth = registrytest.NewOrigin(t, origin, http.HandlerFunc(f.serveToken))
	}
	f.CDN = registrytest.NewOrigin(t, origin, http.HandlerFunc(f.serveSigned))
	return f
}

// Reference returns Host+"/"+repoAndRef, as a client names an image here.
func (f *Front) Reference(repoAndRef string) string { return f.Host + "/" + repoAndRef }

// Requests is what the registry host received (token requests too when the
// token service shares the host).
func (f *Front) Requests() *registrytest.RequestLog { return f.Registry.Requests }

// TokenRequests is what the token service received.
func (f *Front) TokenRequests() *registrytest.RequestLog {
	if f.Auth != nil {
		return f.Auth.Requests
	}
	return f.Registry.Requests
}

// CDNRequests is what the blob host received.
func (f *Front) CDNRequests() *registrytest.RequestLog { return f.CDN.Requests }

// Public makes more repositories public (patterns as Options.Public).
func (f *Front) Public(patterns ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.public = append(f.public, patterns...)
}

// Restrict lets only the given users read repo (unless it is public).
func (f *Front) Restrict(repo string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := map[string]bool{}
	for _, u := range users {
		set[u] = true
	}
	f.restricted[repo] = set
}

// Expire makes user's password expired from now on: the dialect's answer to
// an expired personal access token or ECR password.
func (f *Front) Expire(user string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired[user] = true
}

// ExpireTokens makes every bearer token issued so far invalid.
func (f *Front) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		t.expired = true
	}
}

// RefreshToken issues a refresh (identity) token for user, usable as the
// password at the token service (ACR's 00000000-0000-0000-0000-000000000000
// login) and, where the dialect has OAuth, with grant_type=refresh_token.
func (f *Front) RefreshToken(user string) string {
	tok := "rt-" + randomString(24)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refresh[tok] = user
	return tok
}

// RateLimit answers the next n repository requests (manifests, blobs, tag
// lists) with the dialect's rate-limit answer.
func (f *Front) RateLimit(n int) { f.RateLimitWith(n, nil) }

// RateLimitWith is RateLimit with another answer (r nil: the dialect's).
func (f *Front) RateLimitWith(n int, r *Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited, f.limitReply = n, r
}

// MisbehaveHEAD turns on the dialect's documented HEAD misbehaviour.
func (f *Front) MisbehaveHEAD() { f.SetHEAD(f.d.HEAD) }

// SetHEAD sets how manifest HEAD (and, for NoDigest, GET) is answered.
func (f *Front) SetHEAD(q HeadQuirk) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.head = q
}

func (f *Front) headQuirk() HeadQuirk {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.head
}

// PushTags pushes one small image under every tag of repo, for tag paging.
func (f *Front) PushTags(ctx context.Context, repo string, tags ...string) (v1.Image, error) {
	if len(tags) == 0 {
		return nil, fmt.Errorf("PushTags %s: no tags", repo)
	}
	img, err := f.Registry.PushImage(ctx, repo+":"+tags[0])
	if err != nil {
		return nil, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	for _, tag := range tags[1:] {
		if err := f.Registry.PushRaw(ctx, repo, tag, string(types.OCIManifestSchema1), raw); err != nil {
			return nil, err
		}
	}
	return img, nil
}

func (f *Front) realm(host string) string {
	if f.Auth != nil {
		return f.Auth.URL + f.d.Token.Path
	}
	if f.d.Token == nil {
		return f.scheme + "://" + host + "/"
	}
	return f.scheme + "://" + host + f.d.Token.Path
}

func (f *Front) newCall(r *http.Request) *Call {
	return &Call{Req: r, Host: r.Host, front: f}
}

// ServeHTTP serves the registry host.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := f.newCall(r)
	for k, v := range f.d.Header {
		w.Header()[k] = slices.Clone(v)
	}
	path := r.URL.Path
	if t := f.d.Token; t != nil && !t.Separate && path == t.Path {
		f.serveToken(w, r)
		return
	}
	if f.isRelativeBlobPath(path) {
		f.serveSigned(w, r)
		return
	}
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	if path == "/v2/" || path == "/v2" {
		f.servePing(c, w, r)
		return
	}
	repo, kind, ref, ok := parsePath(path)
	if !ok {
		f.forward(w, r)
		return
	}
	c.Repo, c.Ref = repo, ref
	if rep, refused := f.authorize(c); refused {
		rep.write(w, r.Method)
		return
	}
	if kind != "referrers" {
		if rep, limited := f.takeLimit(c); limited {
			rep.write(w, r.Method)
			return
		}
	}
	switch kind {
	case "tags":
		f.serveTags(c, w, r)
	case "manifests":
		f.serveManifest(c, w, r)
	case "blobs":
		f.serveBlob(c, w, r)
	default:
		f.forward(w, r)
	}
}

// parsePath splits /v2/<name>/<kind>/<ref>; kind is manifests, blobs,
// referrers or tags (tags/list). A reference holds no slash, so the kind is
// the second element from the end, whatever the name holds; blob uploads
// are blobs with ref "uploads/...".
func parsePath(p string) (repo, kind, ref string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", "", false
	}
	if name, ok := strings.CutSuffix(rest, "/tags/list"); ok && name != "" {
		return name, "tags", "", true
	}
	if i := strings.Index(rest, "/blobs/uploads/"); i > 0 {
		return rest[:i], "blobs", rest[i+len("/blobs/"):], true
	}
	parts := strings.Split(rest, "/")
	if n := len(parts); n >= 3 && parts[n-1] != "" {
		switch parts[n-2] {
		case "manifests", "blobs", "referrers":
			return strings.Join(parts[:n-2], "/"), parts[n-2], parts[n-1], true
		}
	}
	return "", "", "", false
}

func (f *Front) servePing(c *Call, w http.ResponseWriter, r *http.Request) {
	ok, rep := f.pingCredentials(c)
	if !ok {
		rep.write(w, r.Method)
		return
	}
	if f.d.PingOK != nil {
		f.d.PingOK(c).write(w, r.Method)
		return
	}
	f.forward(w, r)
}

// pingCredentials decides /v2/: usable credentials, or the answer.
func (f *Front) pingCredentials(c *Call) (bool, Reply) {
	r := c.Req
	if f.d.Basic {
		user, pass, has := r.BasicAuth()
		if !has {
			return false, f.ping(c)
		}
		switch f.verdict(user, pass) {
		case Valid:
			return true, Reply{}
		case Expired:
			return false, f.expiredPassword(c)
		default:
			return false, f.wrongPassword(c)
		}
	}
	_, rep, ok := f.bearerIdentity(c)
	if !ok {
		// A bad or missing token on /v2/ is answered like no token.
		if strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic ") && f.d.BasicOnRegistry != nil {
			return false, rep
		}
		return false, f.ping(c)
	}
	return true, Reply{}
}

// authorize decides a repository request: (answer, true) refuses it.
func (f *Front) authorize(c *Call) (Reply, bool) {
	var tok *token
	if f.d.Basic {
		user, pass, has := c.Req.BasicAuth()
		if has {
			switch f.verdict(user, pass) {
			case Valid:
				c.User = user
			case Expired:
				return f.expiredPassword(c), true
			default:
				return f.wrongPassword(c), true
			}
		} else if !f.isPublic(c.Repo) {
			return f.unauthorized(c), true
		}
	} else {
		t, rep, ok := f.bearerIdentity(c)
		if !ok {
			return rep, true
		}
		tok = t
	}
	if tok != nil && !tok.all && !tok.requested[c.Repo] {
		return f.denied(c), true
	}
	if !f.exists(c.Req.Context(), c.Repo) {
		if f.d.MissingRepo != nil {
			return f.d.MissingRepo(c), true
		}
		return f.denied(c), true
	}
	if !f.allowed(c.User, c.Repo) {
		return f.denied(c), true
	}
	return Reply{}, false
}

// bearerIdentity finds who a Bearer dialect's request is from. ok false
// comes with the answer.
func (f *Front) bearerIdentity(c *Call) (*token, Reply, bool) {
	r := c.Req
	authz := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(authz, " ")
	switch {
	case authz == "":
		return nil, f.unauthorized(c), false
	case strings.EqualFold(scheme, "bearer"):
		if t := f.lookupToken(cred); t != nil {
			c.User = t.user
			return t, Reply{}, true
		}
		if f.d.BearerIsBasic {
			if user, pass, ok := decodeBasic(cred); ok && f.verdict(user, pass) == Valid {
				c.User = user
				return &token{user: user, all: true}, Reply{}, true
			}
		}
		return nil, f.invalidToken(c), false
	case strings.EqualFold(scheme, "basic") && f.d.BasicOnRegistry != nil:
		user, pass, _ := r.BasicAuth()
		accept, rep := f.d.BasicOnRegistry(c, f.verdict(user, pass))
		if !accept {
			return nil, rep, false
		}
		c.User = user
		return &token{user: user, all: true}, Reply{}, true
	default:
		return nil, f.unauthorized(c), false
	}
}

func decodeBasic(cred string) (user, pass string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

// verdict decides a username and password: Options.Check or Users, then
// Expire; a refresh token this front issued is valid as the password of
// any username.
func (f *Front) verdict(user, pass string) Verdict {
	f.mu.Lock()
	refreshUser, isRefresh := f.refresh[pass]
	f.mu.Unlock()
	if isRefresh {
		user = refreshUser
	} else {
		v := Wrong
		if f.opts.Check != nil {
			v = f.opts.Check(user, pass)
		} else if want, ok := f.opts.Users[user]; ok && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1 {
			v = Valid
		}
		if v != Valid {
			return v
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.expired[user] {
		return Expired
	}
	return Valid
}

func (f *Front) isPublic(repo string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.public {
		prefix, wild := strings.CutSuffix(p, "*")
		if p == repo || p == "*" || (wild && strings.HasSuffix(prefix, "/") && strings.HasPrefix(repo, prefix)) {
			return true
		}
	}
	return false
}

// allowed reports whether user ("" for anonymous) may pull repo.
func (f *Front) allowed(user, repo string) bool {
	if f.isPublic(repo) {
		return true
	}
	if user == "" {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	set, ok := f.restricted[repo]
	return !ok || set[user]
}

// exists asks distribution whether repo exists.
func (f *Front) exists(ctx context.Context, repo string) bool {
	_, ok := f.tagsOf(ctx, repo)
	return ok
}

// tagsOf lists repo's tags as distribution has them (sorted).
func (f *Front) tagsOf(ctx context.Context, repo string) ([]string, bool) {
	rec := f.inner(ctx, http.MethodGet, "/v2/"+repo+"/tags/list", "")
	if rec.Code != http.StatusOK {
		return nil, false
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		return nil, false
	}
	return body.Tags, true
}

// inner asks distribution directly; nothing is logged.
func (f *Front) inner(ctx context.Context, method, path, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, method, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, req)
	return rec
}

// forward passes the request to distribution without credentials.
func (f *Front) forward(w http.ResponseWriter, r *http.Request) {
	r = r.Clone(r.Context())
	r.Header.Del("Authorization")
	f.next.ServeHTTP(w, r)
}

// record is forward into a recorder.
func (f *Front) record(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.forward(rec, r)
	return rec
}

// takeLimit spends one rate-limited request, if any are left.
func (f *Front) takeLimit(c *Call) (Reply, bool) {
	f.mu.Lock()
	if f.limited <= 0 {
		f.mu.Unlock()
		return Reply{}, false
	}
	f.limited--
	custom := f.limitReply
	f.mu.Unlock()
	if custom != nil {
		return *custom, true
	}
	return f.rateLimited(c), true
}

// or answers with the dialect's fn when it has one, else with def.
func or(fn func(*Call) Reply, c *Call, def func(*Call) Reply) Reply {
	if fn != nil {
		return fn(c)
	}
	return def(c)
}

// distributionAnswer is challenged with a fixed error parameter.
func distributionAnswer(errParam string) func(*Call) Reply {
	return func(c *Call) Reply { return challenged(c, errParam) }
}

func (f *Front) ping(c *Call) Reply { return or(f.d.Ping, c, distributionAnswer("")) }

func (f *Front) unauthorized(c *Call) Reply {
	return or(f.d.Unauthorized, c, distributionAnswer(""))
}

func (f *Front) denied(c *Call) Reply {
	return or(f.d.Denied, c, distributionAnswer("insufficient_scope"))
}

func (f *Front) invalidToken(c *Call) Reply {
	return or(f.d.InvalidToken, c, distributionAnswer("invalid_token"))
}

func (f *Front) wrongPassword(c *Call) Reply { return or(f.d.WrongPassword, c, f.unauthorized) }

func (f *Front) expiredPassword(c *Call) Reply {
	return or(f.d.ExpiredPassword, c, f.wrongPassword)
}

func (f *Front) rateLimited(c *Call) Reply {
	if f.d.RateLimited != nil {
		return f.d.RateLimited(c)
	}
	// No registry-specific evidence: the distribution error code with a
	// Retry-After, as registrytest.RateLimited answers.
	return jsonError(http.StatusTooManyRequests, jsonType, "TOOMANYREQUESTS", "Too Many Requests").with("Retry-After", "1")
}

// clientIP is the client's address without port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand.Read does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
