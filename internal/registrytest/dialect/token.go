package dialect

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// token is one bearer token the front issued.
type token struct {
	user      string
	requested map[string]bool // repositories the token was asked for
	all       bool            // credentials used as a token: every repository
	expires   time.Time
	expired   bool
}

// lookupToken returns the live token with this value, or nil.
func (f *Front) lookupToken(value string) *token {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tokens[value]
	if t == nil || t.expired || time.Now().After(t.expires) {
		return nil
	}
	return t
}

// serveToken is the token service (on its own host or the registry's).
func (f *Front) serveToken(w http.ResponseWriter, r *http.Request) {
	ts := f.d.Token
	c := f.newCall(r)
	var form url.Values
	var user string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		form = r.URL.Query()
		if u, p, has := r.BasicAuth(); has {
			switch f.verdict(u, p) {
			case Valid:
				user = u
				f.mu.Lock()
				if ru, ok := f.refresh[p]; ok {
					user = ru
				}
				f.mu.Unlock()
			case Expired:
				f.expiredCredentials(c).write(w, r.Method)
				return
			default:
				ts.WrongCredentials(c).write(w, r.Method)
				return
			}
		}
	case http.MethodPost:
		if !ts.OAuth {
			f.noOAuth(c).write(w, r.Method)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			newReply(http.StatusBadRequest, textUTF8, "malformed form\n").write(w, r.Method)
			return
		}
		form = r.PostForm
		u, ok := f.oauthUser(form)
		if !ok {
			ts.WrongCredentials(c).write(w, r.Method)
			return
		}
		user = u
	default:
		newReply(http.StatusMethodNotAllowed, textUTF8, "method not allowed\n", "Allow", "GET").write(w, r.Method)
		return
	}
	c.User = user
	if ts.CheckService != nil {
		if rep := ts.CheckService(c, form.Get("service")); rep != nil {
			rep.write(w, r.Method)
			return
		}
	}
	repos := scopeRepos(form["scope"])
	if len(repos) == 0 && ts.NoScope != nil {
		if rep := ts.NoScope(c); rep != nil {
			rep.write(w, r.Method)
			return
		}
	}
	requested := map[string]bool{}
	var access []map[string]any
	for _, repo := range repos {
		requested[repo] = true
		rc := *c
		rc.Repo = repo
		exists := f.exists(r.Context(), repo)
		allowed := f.allowed(user, repo)
		if ts.Refuse != nil {
			if rep := ts.Refuse(&rc, exists, allowed); rep != nil {
				rep.write(w, r.Method)
				return
			}
		}
		actions := []string{}
		if exists && allowed {
			actions = append(actions, "pull")
		}
		access = append(access, map[string]any{"type": "repository", "name": repo, "actions": actions})
	}
	now := time.Now()
	value := f.mint(user, access, now, ts)
	f.mu.Lock()
	f.tokens[value] = &token{user: user, requested: requested, expires: now.Add(ts.TTL)}
	f.mu.Unlock()
	body, err := json.Marshal(ts.Body(value, ts.TTL, now))
	if err != nil {
		panic(err)
	}
	newReply(http.StatusOK, jsonType, string(body)+"\n").write(w, r.Method)
}

// oauthUser authenticates an OAuth2 POST: a refresh token this front
// issued, or a username and password.
func (f *Front) oauthUser(form url.Values) (string, bool) {
	switch form.Get("grant_type") {
	case "refresh_token":
		f.mu.Lock()
		user, ok := f.refresh[form.Get("refresh_token")]
		expired := f.expired[user]
		f.mu.Unlock()
		return user, ok && !expired
	case "password":
		user := form.Get("username")
		return user, f.verdict(user, form.Get("password")) == Valid
	default:
		return "", false
	}
}

func (f *Front) expiredCredentials(c *Call) Reply {
	return or(f.d.Token.ExpiredCredentials, c, f.d.Token.WrongCredentials)
}

func (f *Front) noOAuth(c *Call) Reply {
	return or(f.d.Token.NoOAuth, c, func(*Call) Reply {
		return newReply(http.StatusMethodNotAllowed, textUTF8, "method not allowed\n", "Allow", "GET")
	})
}

// scopeRepos returns the repositories of "repository:NAME:ACTIONS" scopes,
// space-separated or repeated. NAME may hold colons (host:port/...).
func scopeRepos(params []string) []string {
	var out []string
	for _, p := range params {
		for _, s := range strings.Fields(p) {
			rest, ok := strings.CutPrefix(s, "repository:")
			if i := strings.LastIndex(rest, ":"); ok && i > 0 {
				out = append(out, rest[:i])
			}
		}
	}
	return out
}

// mint makes a token value: JWT-shaped (header, claims with the access
// granted, a signature nobody checks) like most registries', or opaque.
func (f *Front) mint(user string, access []map[string]any, now time.Time, ts *TokenService) string {
	if ts.Opaque {
		return base64.StdEncoding.EncodeToString([]byte("v1:" + randomString(30)))
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	if access == nil {
		access = []map[string]any{}
	}
	header := map[string]string{"alg": "ES256", "typ": "JWT", "kid": "dialect-" + f.d.Name}
	claims := map[string]any{
		"iss": f.d.Name, "sub": user, "aud": f.d.Name, "access": access, "jti": randomString(16),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ts.TTL).Unix(),
	}
	return enc(header) + "." + enc(claims) + "." + randomString(86)
}
