package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

const (
	// minTokenLifetime is how long a token is taken to last when its token
	// server says less, or nothing (GHCR sends no expires_in): the token
	// specification's default and minimum.
	minTokenLifetime = 60 * time.Second
	// renewBefore is how long before its token expires a repository's
	// transport is built again, so that no request leaves with a token
	// that expires on the way.
	renewBefore = 10 * time.Second
	// maxTokenBody bounds what is read of a token response to learn its
	// lifetime; go-containerregistry reads at most the same.
	maxTokenBody = 1 << 20
)

// tokenWatch sits between go-containerregistry's transport for one
// repository (bearer or basic) and the registry's base stack, and keeps what
// Client.transport needs to renew that transport once for every reader:
//
//   - While the transport is built (building), the token responses it
//     fetches pass by: their expires_in (absent or under 60 s: 60 s) says
//     when the transport is stale. issued_at is not used: the token
//     server's clock may differ from ours, and the time the answer arrived
//     is later than the time it was issued.
//   - Afterwards, a 401 the registry answers to a request that carried that
//     token marks the token refused, and goes up without its challenge: on
//     a challenge go-containerregistry fetches a token for the request in
//     hand, so twenty readers whose token expired would fetch twenty. Client.do
//     renews the transport instead, once for all of them, and sends the
//     request again.
//   - A challenge that names another realm than the one the transport was
//     built with is logged once: the first stays in use for the run.
type tokenWatch struct {
	inner    http.RoundTripper
	registry string // go-containerregistry's name of the registry host
	now      func() time.Time
	notes    *sync.Map // realm changes logged, client-wide

	building atomic.Bool

	mu       sync.Mutex
	token    [sha256.Size]byte // of the token obtained while building
	hasToken bool
	expires  time.Time // zero: not known, so only a refusal makes it stale
	refused  bool
	realm    string // of the challenge the transport was built with
}

// stale reports whether the transport should be built again before its next
// request: its token was refused, or expires within renewBefore.
func (w *tokenWatch) stale() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refused || (!w.expires.IsZero() && !w.now().Before(w.expires.Add(-renewBefore)))
}

// tokenRefused reports whether the registry refused the transport's token.
func (w *tokenWatch) tokenRefused() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refused
}

func (w *tokenWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.inner.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	toRegistry := strings.EqualFold(hostPort(req.URL), hostPort(&url.URL{Scheme: req.URL.Scheme, Host: w.registry}))
	if w.building.Load() {
		switch {
		case toRegistry && isPing(req):
			if realm := realmOf(resp.Header); realm != "" {
				w.mu.Lock()
				w.realm = realm
				w.mu.Unlock()
			}
		case resp.StatusCode == http.StatusOK:
			resp = w.readToken(resp)
		}
		return resp, nil
	}
	if resp.StatusCode != http.StatusUnauthorized || !toRegistry {
		return resp, nil
	}
	w.noteRealm(req.Context(), realmOf(resp.Header))
	if w.carriesToken(req) {
		w.mu.Lock()
		w.refused = true
		w.mu.Unlock()
		resp.Header.Del("Www-Authenticate")
	}
	return resp, nil
}

// readToken learns the token and lifetime of a token response, and hands
// the response on unchanged.
func (w *tokenWatch) readToken(resp *http.Response) *http.Response {
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil {
		return resp
	}
	var answer struct {
		Token       string          `json:"token"`
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if json.Unmarshal(head, &answer) != nil {
		return resp
	}
	// go-containerregistry prefers access_token when both are there.
	tok := answer.AccessToken
	if tok == "" {
		tok = answer.Token
	}
	if tok == "" {
		return resp
	}
	lifetime := minTokenLifetime
	if secs, err := strconv.ParseFloat(strings.Trim(string(answer.ExpiresIn), `"`), 64); err == nil && time.Duration(secs)*time.Second > lifetime {
		lifetime = time.Duration(secs) * time.Second
	}
	w.mu.Lock()
	w.token, w.hasToken = sha256.Sum256([]byte(tok)), true
	w.expires = w.now().Add(lifetime)
	w.mu.Unlock()
	return resp
}

// carriesToken reports whether req carries the token obtained while the
// transport was built.
func (w *tokenWatch) carriesToken(req *http.Request) bool {
	scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hasToken && sha256.Sum256([]byte(strings.TrimSpace(tok))) == w.token
}

// noteRealm logs, once per registry and realm in a client's life, a
// challenge whose realm differs from the one in use.
func (w *tokenWatch) noteRealm(ctx context.Context, realm string) {
	w.mu.Lock()
	inUse := w.realm
	w.mu.Unlock()
	if realm == "" || inUse == "" || realm == inUse {
		return
	}
	if _, logged := w.notes.LoadOrStore(w.registry+" "+realm, true); logged {
		return
	}
	tflog.Warn(ctx, "the registry's challenge names another token realm than the one in use; the first is kept for this run", map[string]any{
		"registry": w.registry, "realm_in_use": redactedRealm(inUse), "realm_named": redactedRealm(realm),
	})
}

func redactedRealm(realm string) string {
	u, err := url.Parse(realm)
	if err != nil {
		return "(not a URL)"
	}
	return redactedURL(u)
}

// challengeRegistry is the registry a challenge is parsed for: its name
// plays no part in the parsing, and it is not on loopback, so that the
// parse is a single ping over HTTPS that answerWith answers.
var challengeRegistry, _ = name.NewRegistry("challenge.invalid")

// realmOf is the realm of the Bearer challenge in h, "" when there is none,
// as go-containerregistry reads it: its ping is the parser, given h as the
// answer (no request is sent).
func realmOf(h http.Header) string {
	if len(h.Values("Www-Authenticate")) == 0 {
		return ""
	}
	ch, err := transport.Ping(context.Background(), challengeRegistry, answerWith{h})
	if err != nil || !strings.EqualFold(ch.Scheme, "bearer") {
		return ""
	}
	return ch.Parameters["realm"]
}

// answerWith answers every request with 401 and its header.
type answerWith struct{ header http.Header }

func (a answerWith) RoundTrip(req *http.Request) (*http.Response, error) {
	return (&pingAnswer{status: http.StatusUnauthorized, header: a.header}).response(req)
}
