package dialect

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Dialect is how one real registry answers: its challenges, token service,
// error bodies, tag paging, blob redirects and HEAD behaviour. The engine in
// front.go plays it in front of a distribution registry. Constructors such
// as DockerHub return a fresh *Dialect that a test may adjust before New.
//
// Every func field may be nil; nil means "as distribution answers", which is
// what most registries built on distribution (Docker Hub, GitLab, Harbor's
// registry, ACR) also do.
type Dialect struct {
	// Name is the registry's name, for messages.
	Name string
	// Basic makes the registry itself take Basic credentials on every
	// request (ECR, Nexus); otherwise it takes Bearer tokens from Token.
	Basic bool
	// Token is the token service of a Bearer dialect.
	Token *TokenService
	// Challenge renders WWW-Authenticate. scope is "" on /v2/; errParam is
	// "", "insufficient_scope" or "invalid_token".
	Challenge func(c *Call, scope, errParam string) string

	// Ping answers /v2/ without usable credentials; PingOK with them
	// (nil: distribution's 200 {}).
	Ping, PingOK func(c *Call) Reply
	// Unauthorized answers a repository request without credentials.
	Unauthorized func(c *Call) Reply
	// Denied answers credentials that may not read the repository, and a
	// missing repository when MissingRepo is nil (the registry hides it).
	Denied func(c *Call) Reply
	// InvalidToken answers a bearer token this front did not issue, or one
	// that expired (ExpireTokens).
	InvalidToken func(c *Call) Reply
	// WrongPassword and ExpiredPassword answer refused Basic credentials
	// of a Basic dialect (nil: Unauthorized).
	WrongPassword, ExpiredPassword func(c *Call) Reply
	// BasicOnRegistry decides Basic credentials sent straight to the
	// registry of a Bearer dialect: accept them (ACR), or answer r (GHCR,
	// ECR Public). nil: they are ignored, as if none were sent.
	BasicOnRegistry func(c *Call, v Verdict) (accept bool, r Reply)
	// BearerIsBasic accepts "Authorization: Bearer base64(user:password)"
	// as those credentials (GHCR).
	BearerIsBasic bool
	// MissingRepo answers a repository that does not exist; nil hides it
	// behind Denied.
	MissingRepo func(c *Call) Reply
	// MissingManifest answers an unknown tag or digest.
	MissingManifest func(c *Call) Reply
	// AcceptMismatch answers a manifest whose media type the Accept header
	// lacks (distribution answers 404 MANIFEST_UNKNOWN then); found is the
	// stored media type.
	AcceptMismatch func(c *Call, found string) Reply
	// RateLimited answers a request over the rate limit (RateLimit).
	RateLimited func(c *Call) Reply

	// Tags is the tag list's paging.
	Tags Paging
	// Blobs is how blob downloads are served.
	Blobs Blobs
	// HEAD is the registry's documented manifest HEAD misbehaviour, off
	// until Front.MisbehaveHEAD.
	HEAD HeadQuirk
	// Header is sent on every registry answer (a Server header, say).
	Header http.Header
}

// TokenService is a Bearer dialect's token endpoint.
type TokenService struct {
	// Path of the endpoint: "/token", "/v2/auth", "/oauth2/token", ...
	Path string
	// Separate puts the endpoint on a host of its own (auth.docker.io,
	// gitlab.com/jwt/auth) rather than on the registry's host.
	Separate bool
	// Body is the JSON of a successful answer.
	Body func(token string, ttl time.Duration, issued time.Time) map[string]any
	// TTL is how long a token lives.
	TTL time.Duration
	// Opaque issues tokens that are not JWT-shaped (GHCR).
	Opaque bool
	// OAuth accepts POST grant_type=refresh_token and password; otherwise
	// POST gets NoOAuth (nil: 405).
	OAuth   bool
	NoOAuth func(c *Call) Reply
	// CheckService refuses a service the registry does not serve.
	CheckService func(c *Call, service string) *Reply
	// WrongCredentials answers refused credentials; ExpiredCredentials
	// expired ones (nil: WrongCredentials).
	WrongCredentials, ExpiredCredentials func(c *Call) Reply
	// Refuse may refuse a token for the repository in c.Repo instead of
	// issuing one without access (nil: always issue).
	Refuse func(c *Call, exists, allowed bool) *Reply
	// NoScope may refuse a request that names no repository.
	NoScope func(c *Call) *Reply
}

// Verdict is what a front makes of a username and password.
type Verdict int

const (
	// Wrong credentials: unknown user or wrong password.
	Wrong Verdict = iota
	// Valid credentials.
	Valid
	// Expired credentials: right once, expired now.
	Expired
)

// HeadQuirk is a way a registry misanswers HEAD on a manifest.
type HeadQuirk int

const (
	// HeadNormal answers HEAD like GET without a body.
	HeadNormal HeadQuirk = iota
	// HeadNoDigest answers HEAD without Docker-Content-Digest.
	HeadNoDigest
	// NoDigest answers GET and HEAD without Docker-Content-Digest.
	NoDigest
	// HeadOctetStream answers HEAD with Content-Type
	// application/octet-stream, checksum headers and no digest.
	HeadOctetStream
	// HeadIndexChild answers HEAD on an index with the digest, type and
	// size of its linux/amd64 image.
	HeadIndexChild
	// HeadRedirectGET redirects HEAD to storage signed for GET only, which
	// answers 403.
	HeadRedirectGET
	// HeadNotAllowed answers HEAD with 405.
	HeadNotAllowed
)

// String names the quirk.
func (q HeadQuirk) String() string {
	switch q {
	case HeadNormal:
		return "normal"
	case HeadNoDigest:
		return "HEAD without digest"
	case NoDigest:
		return "no digest"
	case HeadOctetStream:
		return "HEAD as octet-stream"
	case HeadIndexChild:
		return "HEAD answers the linux/amd64 image"
	case HeadRedirectGET:
		return "HEAD redirected to GET-signed storage"
	case HeadNotAllowed:
		return "HEAD not allowed"
	default:
		return "HeadQuirk(" + strconv.Itoa(int(q)) + ")"
	}
}

// Call is one request as a dialect sees it.
type Call struct {
	Req *http.Request
	// Host is the host[:port] the client addressed.
	Host string
	// Repo is the repository ("" on /v2/); Ref the tag or digest.
	Repo, Ref string
	// User is the authenticated user, "" when anonymous.
	User string

	front *Front
}

// Scope is the pull scope of c.Repo.
func (c *Call) Scope() string { return "repository:" + c.Repo + ":pull" }

// Realm is the URL of the front's token service as this client reaches it.
func (c *Call) Realm() string { return c.front.realm(c.Host) }

// Scheme is "http" or "https".
func (c *Call) Scheme() string { return c.front.scheme }

// Reply is one answer: status, headers and body.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// newReply builds a Reply with a Content-Type and further header pairs.
func newReply(status int, contentType, body string, kv ...string) Reply {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return Reply{Status: status, Header: h, Body: body}
}

// with returns r with further header pairs.
func (r Reply) with(kv ...string) Reply {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	r.Header = h
	return r
}

func (r Reply) write(w http.ResponseWriter, method string) {
	for k, v := range r.Header {
		w.Header()[k] = append([]string(nil), v...)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.Status)
	if method != http.MethodHead {
		_, _ = io.WriteString(w, r.Body)
	}
}

const (
	jsonType = "application/json"
	jsonUTF8 = "application/json; charset=utf-8"
	textUTF8 = "text/plain; charset=utf-8"
	xmlType  = "application/xml"

	indexType = "application/vnd.oci.image.index.v1+json"
)

// errorsBody renders the registry error body {"errors":[{code, message,
// detail}]} with keys in that order, as registries write them. Without a
// detail argument the key is left out; a nil detail is written as null.
func errorsBody(code, message string, detail ...any) string {
	type apiError struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail,omitempty"`
	}
	e := apiError{Code: code, Message: message}
	if len(detail) > 0 {
		raw, err := json.Marshal(detail[0])
		if err != nil {
			panic(err) // details are maps and strings built here
		}
		e.Detail = raw
	}
	b, err := json.Marshal(map[string][]apiError{"errors": {e}})
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

// jsonError is a JSON registry error reply.
func jsonError(status int, contentType, code, message string, detail ...any) Reply {
	return newReply(status, contentType, errorsBody(code, message, detail...))
}

// accessDetail is distribution's detail of an access error, as Docker Hub
// sends it ("Class" included, see buildpacks/pack#537).
func accessDetail(repo string) any {
	return []struct {
		Type   string `json:"Type"`
		Class  string `json:"Class"`
		Name   string `json:"Name"`
		Action string `json:"Action"`
	}{{Type: "repository", Name: repo, Action: "pull"}}
}

// bearer renders a Bearer challenge; empty parameters are left out.
func bearer(realm, service, scope, errParam string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Bearer realm=%q", realm)
	for _, p := range [][2]string{{"service", service}, {"scope", scope}, {"error", errParam}} {
		if p[1] != "" {
			fmt.Fprintf(&b, ",%s=%q", p[0], p[1])
		}
	}
	return b.String()
}

// serviceChallenge is a Bearer challenge naming a fixed service.
func serviceChallenge(service string) func(c *Call, scope, errParam string) string {
	return func(c *Call, scope, errParam string) string { return bearer(c.Realm(), service, scope, errParam) }
}

// hostChallenge is a Bearer challenge whose service is the registry's host
// name, as GHCR, ACR, Quay and Artifactory name themselves.
func hostChallenge(c *Call, scope, errParam string) string {
	return bearer(c.Realm(), c.Host, scope, errParam)
}

// withChallenge adds the dialect's challenge to r: with the repository's
// scope on repository requests, none on /v2/.
func withChallenge(c *Call, errParam string, r Reply) Reply {
	scope := ""
	if c.Repo != "" {
		scope = c.Scope()
	}
	return r.with("WWW-Authenticate", c.front.d.Challenge(c, scope, errParam))
}

// challenged is distribution's 401: the challenge and UNAUTHORIZED
// "authentication required", whose detail lists the access asked for
// (null on /v2/).
func challenged(c *Call, errParam string) Reply {
	var detail any
	if c.Repo != "" {
		detail = accessDetail(c.Repo)
	}
	return withChallenge(c, errParam, jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", "authentication required", detail))
}

// tokenFields is the token answer of the token specification: token and
// access_token (same value), expires_in and issued_at.
func tokenFields(token string, ttl time.Duration, issued time.Time) map[string]any {
	return map[string]any{
		"token":        token,
		"access_token": token,
		"expires_in":   int(ttl / time.Second),
		"issued_at":    issued.UTC().Format(time.RFC3339),
	}
}

// tokenOnly is {"token": ...}.
func tokenOnly(token string, _ time.Duration, _ time.Time) map[string]any {
	return map[string]any{"token": token}
}
