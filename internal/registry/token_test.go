package registry

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// fakeClock is a Client's clock, moved by hand.
type fakeClock struct{ offset atomic.Int64 }

var clockStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (f *fakeClock) now() time.Time          { return clockStart.Add(time.Duration(f.offset.Load())) }
func (f *fakeClock) advance(d time.Duration) { f.offset.Add(int64(d)) }

// concurrently runs read n times at once and fails the test on an error.
func concurrently(t *testing.T, n int, read func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- read()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// readConcurrently reads ref n times at once, each read a manifest and its
// config.
func readConcurrently(t *testing.T, c *Client, ref string, n int) {
	t.Helper()
	r := mustParse(t, ref)
	concurrently(t, n, func() error {
		_, err := c.Resolve(context.Background(), r, nil)
		return err
	})
}

func tokenClient(t *testing.T, reg *registrytest.Registry, clock *fakeClock) *Client {
	t.Helper()
	c := newClient(t, reg, auth.Credentials{Username: user, Password: password})
	if clock != nil {
		c.now = clock.now
	}
	return c
}

// TestTokenRenewedBeforeItExpires: a token is used until shortly before its
// expires_in runs out; then one token request serves every reader, before
// any of them is refused. Absent or short expires_in counts as 60 s.
func TestTokenRenewedBeforeItExpires(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name          string
		rewrite       func(map[string]any)
		fresh, expire time.Duration
	}{
		{"expires_in 300", nil, 285 * time.Second, 6 * time.Second},
		{"expires_in absent", func(m map[string]any) { delete(m, "expires_in") }, 45 * time.Second, 6 * time.Second},
		{"expires_in 1", func(m map[string]any) { m["expires_in"] = 1 }, 45 * time.Second, 6 * time.Second},
		{"expires_in 120", func(m map[string]any) { m["expires_in"] = 120 }, 105 * time.Second, 6 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg, realm := realmOrigin(t, registrytest.Options{Users: map[string]string{user: password}}, func(r *registrytest.Registry) http.Handler {
				return registrytest.TokenProxy(t, r, tt.rewrite, nil)
			})
			if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
				t.Fatal(err)
			}
			clock := &fakeClock{}
			c := tokenClient(t, reg, clock)
			ref := reg.Host + "/team/app:1"
			readConcurrently(t, c, ref, 5)
			clock.advance(tt.fresh)
			readConcurrently(t, c, ref, 5)
			if n := len(realm.Requests.All()); n != 1 {
				t.Fatalf("%d token requests while the token was fresh, want 1", n)
			}
			clock.advance(tt.expire)
			readConcurrently(t, c, ref, 20)
			if n := len(realm.Requests.All()); n != 2 {
				t.Errorf("%d token requests for 20 readers of a token about to expire, want 2", n)
			}
			for _, r := range reg.Requests.All() {
				if r.Status == http.StatusUnauthorized && r.HasAuthorization {
					t.Errorf("the registry refused a token at %s: it was not renewed in time", r.Path)
				}
			}
		})
	}
}

// TestRefusedTokenRenewedOnce: when the registry refuses a token that has
// not expired by our clock (the token server's expires_in was wrong, or the
// registry revoked it), every reader holding it waits for one new token.
func TestRefusedTokenRenewedOnce(t *testing.T) {
	ctx := context.Background()
	var first atomic.Value
	var reg *registrytest.Registry
	reg = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password},
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				authz := r.Header.Get("Authorization")
				if strings.HasPrefix(authz, "Bearer ") {
					first.CompareAndSwap(nil, authz)
					if strings.Contains(r.URL.Path, "/blobs/") && first.Load() == authz {
						registrytest.Challenge(`Bearer realm="`+reg.TokenURL+`",service="`+registrytest.Service+`",error="invalid_token"`)(w, r)
						return
					}
				}
				next.ServeHTTP(w, r)
			})
		}})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	c := tokenClient(t, reg, nil)
	readConcurrently(t, c, reg.Host+"/team/app:1", 20)
	if n := len(reg.TokenRequests.All()); n != 2 {
		t.Errorf("%d token requests for 20 readers whose token was refused, want 2", n)
	}
}

// TestChangedRealmLogged: a challenge that names another realm than the one
// in use is logged, once, and the first realm stays in use: the new one
// receives nothing. (Every other manifest request is refused, so each read
// renews its token once.)
func TestChangedRealmLogged(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	other := registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.Serve(http.StatusOK, nil, []byte(`{"token":"other"}`)))
	var refusals atomic.Int32
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password},
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "" && strings.Contains(r.URL.Path, "/manifests/") && refusals.Add(1)%2 == 1 {
					registrytest.Challenge(`Bearer realm="`+other.URL+`/token?secret-query=1",service="`+registrytest.Service+`"`)(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		}})
	if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
		t.Fatal(err)
	}
	c := tokenClient(t, reg, nil)
	ref := mustParse(t, reg.Host+"/team/app:1")
	for range 2 {
		if _, err := c.Manifest(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(other.Requests.All()); n != 0 {
		t.Errorf("the realm named later received %d requests", n)
	}
	if n := len(reg.TokenRequests.All()); n != 3 {
		t.Errorf("%d token requests at the first realm, want 3 (one, then one per refusal)", n)
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var notes []map[string]any
	for _, e := range entries {
		if msg, _ := e["@message"].(string); strings.Contains(msg, "another token realm") {
			notes = append(notes, e)
		}
	}
	if len(notes) != 1 {
		t.Fatalf("%d log lines about the realm, want 1: %v", len(notes), entries)
	}
	if notes[0]["realm_in_use"] != reg.TokenURL || notes[0]["realm_named"] != other.URL+"/token?…" {
		t.Errorf("log line %v: want realm_in_use %s and realm_named %s/token?…", notes[0], reg.TokenURL, other.URL)
	}
	if strings.Contains(buf.String(), "secret-query") {
		t.Error("the log shows the realm's query")
	}
}

func TestRealmOf(t *testing.T) {
	for v, want := range map[string]string{
		`Bearer realm="https://auth.example/token",service="s"`: "https://auth.example/token",
		`Basic realm="registry"`:                                "",
		``:                                                      "",
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Www-Authenticate", v)
		}
		if got := realmOf(h); got != want {
			t.Errorf("realmOf(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestAccessTokenPreferred: a token server that answers with both token and
// access_token, different, is taken at its access_token (OAuth2's field,
// what go-containerregistry and Docker use); the other is never sent.
func TestAccessTokenPreferred(t *testing.T) {
	ctx := context.Background()
	const decoy = "decoy-token-never-sent"
	reg, _ := realmOrigin(t, registrytest.Options{Users: map[string]string{user: password}}, func(r *registrytest.Registry) http.Handler {
		return registrytest.TokenProxy(t, r, func(m map[string]any) { m["token"] = decoy }, nil)
	})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	c := tokenClient(t, reg, nil)
	if _, err := c.Manifest(ctx, mustParse(t, reg.Host+"/team/app:1")); err != nil {
		t.Fatal(err)
	}
	if reg.Requests.SawSecret(decoy) {
		t.Error("the token field was sent, not access_token")
	}
}
