package registrytest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// writeJWKS generates this Registry's token signing key and writes its
// public half as a JWKS file for distribution. A JWKS with a kid header is
// used rather than an x5c chain: no certificate is needed, and the kid is
// what lets the registry pick the key.
func (r *Registry) writeJWKS() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generate token signing key: %w", err)
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.ES256), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("token key thumbprint: %w", err)
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		return "", fmt.Errorf("encode jwks: %w", err)
	}
	path := filepath.Join(r.dir, "jwks.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("write jwks: %w", err)
	}
	r.signingKey, r.keyID = key, pub.KeyID
	return path, nil
}

// identity is who a token request authenticated as.
type identity struct {
	name  string // "" when anonymous
	admin bool   // the fixture helpers' user: every requested action
}

// tokenHandler serves /token per the Docker token specification: GET with
// optional Basic auth, and POST for the OAuth2 password and refresh_token
// grants.
func (r *Registry) tokenHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, req *http.Request) {
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			r.tokenGET(w, req)
		case http.MethodPost:
			r.tokenPOST(w, req)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeErrors(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed")
		}
	})
	logged := r.TokenRequests.middleware(mux, true)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.isFixture(req) {
			mux.ServeHTTP(w, req)
			return
		}
		logged.ServeHTTP(w, req)
	})
}

func (r *Registry) tokenGET(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	if !r.checkService(w, q.Get("service")) {
		return
	}
	scopes, ok := parseScopes(w, q["scope"])
	if !ok {
		return
	}
	id := identity{}
	if authz := req.Header.Get("Authorization"); authz != "" {
		scheme, _, _ := strings.Cut(authz, " ")
		// Only Basic identifies a user here; other schemes are ignored
		// and the request is served as anonymous, as registries do.
		if strings.EqualFold(scheme, "basic") {
			user, pass, ok := req.BasicAuth()
			// A refresh token is accepted as the password too, under any
			// user name: that is how registries without the OAuth2 POST
			// (ACR among them) take Docker's identity tokens.
			if refreshUser, isRefresh := r.lookupRefreshToken(pass); ok && isRefresh {
				user = refreshUser
			} else if !ok || !r.checkPassword(user, pass) {
				unauthorized(w, "invalid username or password")
				return
			}
			id = r.identityOf(user)
		}
	}
	refresh := ""
	if q.Get("offline_token") == "true" && id.name != "" {
		refresh = r.issueRefreshToken(id.name)
	}
	r.writeToken(w, id, scopes, refresh, false)
}

func (r *Registry) tokenPOST(w http.ResponseWriter, req *http.Request) {
	if r.opts.DisableOAuthPOST {
		status := r.opts.DisabledOAuthPOSTStatus
		if status == 0 {
			status = http.StatusMethodNotAllowed
		}
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "GET")
		}
		writeErrors(w, status, "UNSUPPORTED", "oauth2 token requests are not supported")
		return
	}
	req.Body = http.MaxBytesReader(w, req.Body, maxLoggedBody)
	if err := req.ParseForm(); err != nil {
		writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", "malformed form body")
		return
	}
	f := req.PostForm
	if !r.checkService(w, f.Get("service")) {
		return
	}
	if f.Get("client_id") == "" {
		writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", "client_id is required")
		return
	}
	scopes, ok := parseScopes(w, f["scope"])
	if !ok {
		return
	}
	var id identity
	refresh := ""
	switch f.Get("grant_type") {
	case "password":
		user, pass := f.Get("username"), f.Get("password")
		if !r.checkPassword(user, pass) {
			unauthorized(w, "invalid username or password")
			return
		}
		id = r.identityOf(user)
		// The spec's POST parameter is access_type=offline; offline_token
		// is the GET parameter, accepted here too.
		if f.Get("access_type") == "offline" || f.Get("offline_token") == "true" {
			refresh = r.issueRefreshToken(user)
		}
	case "refresh_token":
		user, ok := r.lookupRefreshToken(f.Get("refresh_token"))
		if !ok {
			unauthorized(w, "invalid refresh token")
			return
		}
		id = r.identityOf(user)
	default:
		writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", "unsupported grant_type")
		return
	}
	r.writeToken(w, id, scopes, refresh, true)
}

// checkService rejects a token request for another service, as a token
// server shared by several registries would. An absent service is accepted.
func (r *Registry) checkService(w http.ResponseWriter, service string) bool {
	if service != "" && service != Service {
		writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", "unknown service")
		return false
	}
	return true
}

func (r *Registry) checkPassword(user, pass string) bool {
	if user == "" {
		return false
	}
	if r.opts.Authenticate != nil && user != r.adminUser {
		return r.opts.Authenticate(user, pass)
	}
	want, ok := r.opts.Users[user]
	if user == r.adminUser {
		want, ok = r.adminPass, true
	}
	// Compare even for an unknown user, so timing does not tell users apart.
	eq := subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
	return ok && eq
}

func (r *Registry) identityOf(user string) identity {
	return identity{name: user, admin: user == r.adminUser}
}

func (r *Registry) issueRefreshToken(user string) string {
	tok := "rt-" + randomString(32)
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	r.issued[tok] = user
	return tok
}

func (r *Registry) lookupRefreshToken(tok string) (string, bool) {
	if tok == "" {
		return "", false
	}
	if user, ok := r.opts.RefreshTokens[tok]; ok {
		return user, true
	}
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	user, ok := r.issued[tok]
	return user, ok
}

// scope is one parsed "type:name:actions" request.
type scope struct {
	typ, name string
	actions   []string
}

// parseScopes splits every scope parameter on spaces (OAuth2 style, also
// accepted for GET) and each scope into type, name and actions. The name
// may contain colons (a host:port in a repository name), so type ends at
// the first colon and actions start after the last.
func parseScopes(w http.ResponseWriter, params []string) ([]scope, bool) {
	var out []scope
	for _, p := range params {
		for _, s := range strings.Fields(p) {
			first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
			if first <= 0 || last == first || last == len(s)-1 {
				writeErrors(w, http.StatusBadRequest, "INVALID_SCOPE", "malformed scope")
				return nil, false
			}
			out = append(out, scope{
				typ:     s[:first],
				name:    s[first+1 : last],
				actions: strings.Split(s[last+1:], ","),
			})
		}
	}
	return out, true
}

// grant decides the access a token carries. Per the specification a scope
// the caller may not have is left out rather than refused, so the registry
// is the one that answers 401/403.
func (r *Registry) grant(id identity, scopes []scope) []*token.ResourceActions {
	access := []*token.ResourceActions{}
	for _, s := range scopes {
		var allowed []string
		switch {
		case id.admin:
			allowed = s.actions
		case s.typ != "repository":
		case id.name != "" || r.isPublic(s.name):
			if slices.Contains(s.actions, "pull") {
				allowed = []string{"pull"}
			}
		}
		if len(allowed) == 0 {
			continue
		}
		access = append(access, &token.ResourceActions{Type: s.typ, Name: s.name, Actions: slices.Clone(allowed)})
	}
	return access
}

func (r *Registry) isPublic(repo string) bool {
	for _, p := range r.opts.PublicRepositories {
		switch {
		case p == "*":
			return true
		case strings.HasSuffix(p, "/*"):
			if strings.HasPrefix(repo, strings.TrimSuffix(p, "*")) {
				return true
			}
		case p == repo:
			return true
		}
	}
	return false
}

// tokenResponse is the body of a successful token request; which token
// fields are filled follows Options.TokenResponse.
type tokenResponse struct {
	Token        string `json:"token,omitempty"`
	AccessToken  string `json:"access_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func (r *Registry) writeToken(w http.ResponseWriter, id identity, scopes []scope, refresh string, oauth bool) {
	ttl := r.opts.TokenTTL
	if ttl == 0 {
		ttl = defaultTokenTTL
	}
	now := time.Now()
	access := r.grant(id, scopes)
	raw, err := r.sign(token.ClaimSet{
		Issuer:     Issuer,
		Subject:    id.name,
		Audience:   token.AudienceList{Service},
		Expiration: now.Add(ttl).Unix(),
		NotBefore:  now.Unix(),
		IssuedAt:   now.Unix(),
		JWTID:      randomString(16),
		Access:     access,
	})
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, "UNKNOWN", "cannot sign token")
		return
	}
	resp := tokenResponse{
		ExpiresIn:    int(ttl / time.Second),
		IssuedAt:     now.UTC().Format(time.RFC3339),
		RefreshToken: refresh,
	}
	switch r.opts.TokenResponse {
	case "token":
		resp.Token = raw
	case "access_token":
		resp.AccessToken = raw
	default:
		resp.Token, resp.AccessToken = raw, raw
	}
	if oauth {
		granted := make([]string, 0, len(access))
		for _, a := range access {
			granted = append(granted, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
		}
		resp.Scope = strings.Join(granted, " ")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

func (r *Registry) sign(claims token.ClaimSet) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: r.signingKey, KeyID: r.keyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// unauthorized answers a failed login the way registries' token servers do:
// 401, a Basic challenge and a registry error body.
func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", Realm))
	writeErrors(w, http.StatusUnauthorized, "UNAUTHORIZED", msg)
}

// writeErrors writes the registry error body {"errors":[{code,message}]}.
func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Errors []apiError `json:"errors"`
	}{[]apiError{{Code: code, Message: msg}}})
}
