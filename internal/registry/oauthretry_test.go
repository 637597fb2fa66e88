package registry

import (
	"context"
	"net/http"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// realmOrigin serves h as the token realm of the registry that opts makes:
// a token server on another host (localhost) that the registry's challenge
// names.
func realmOrigin(t *testing.T, opts registrytest.Options, h func(*registrytest.Registry) http.Handler) (*registrytest.Registry, *registrytest.Origin) {
	t.Helper()
	var realm *registrytest.Origin
	inner := opts.Wrap
	opts.Auth = registrytest.AuthToken
	opts.Wrap = func(next http.Handler) http.Handler {
		if inner != nil {
			next = inner(next)
		}
		return registrytest.RewriteChallenge(func(v string) string { return registrytest.RealmTo(realm.URL + "/token")(v) })(next)
	}
	reg := registrytest.New(t, opts)
	realm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, h(reg))
	return reg, realm
}

// TestIdentityTokenSurvivesTokenServer503: one 503 from the token
// endpoint to the OAuth2 refresh-token POST is retried, with its form, and
// the read succeeds.
func TestIdentityTokenSurvivesTokenServer503(t *testing.T) {
	ctx := context.Background()
	const refresh = "rt-identity-503-test"
	var stamps registrytest.Stamps
	reg, realm := realmOrigin(t, registrytest.Options{RefreshTokens: map[string]string{refresh: user}}, func(r *registrytest.Registry) http.Handler {
		return registrytest.FaultFirst(1, registrytest.Match(http.MethodPost, "/token"),
			registrytest.Serve(http.StatusServiceUnavailable, nil, []byte("busy")), &stamps)(registrytest.TokenProxy(t, r, nil, nil))
	})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	c := New(Options{
		Keychain:   auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: {IdentityToken: refresh}})),
		MaxRetries: 1,
		UserAgent:  "imageinfo-test",
	})
	t.Cleanup(c.Close)
	if _, err := c.Manifest(ctx, mustParse(t, reg.Host+"/team/app:1")); err != nil {
		t.Fatal(err)
	}
	posts := 0
	for _, r := range realm.Requests.All() {
		if r.Method == http.MethodPost {
			posts++
			if r.Status == http.StatusOK && (len(r.Scopes) == 0 || !realm.Requests.SawSecret(refresh)) {
				t.Errorf("the retried POST lost its form: scopes %v", r.Scopes)
			}
		}
	}
	if posts != 2 || len(stamps.All()) != 2 {
		t.Errorf("%d refresh-token POSTs (%d stamped), want the 503 and its retry", posts, len(stamps.All()))
	}
}
