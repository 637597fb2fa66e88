package registrytest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// Registry is closed by New's cleanup, so a leak is a Close bug.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	alice    = "alice"
	alicePW  = "alice-s3cret-pw"
	wrongPW  = "not-the-password"
	pushedAt = "2024-05-06T07:08:09Z"
)

// client returns remote options for the code-under-test side: its own
// transport (closed at the end of the test) trusting r's CA when r uses TLS.
func client(t *testing.T, r *Registry, auth authn.Authenticator) []remote.Option {
	t.Helper()
	tr := r.HTTPTransport()
	t.Cleanup(tr.CloseIdleConnections)
	return []remote.Option{remote.WithAuth(auth), remote.WithTransport(tr), remote.WithContext(context.Background())}
}

func mustRef(t *testing.T, r *Registry, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func statusOf(err error) int {
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode
	}
	return 0
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newTokenRegistry has a public "public/*" namespace, a private repository
// and one user.
func newTokenRegistry(t *testing.T, opts Options) (*Registry, v1.Hash, v1.Hash) {
	t.Helper()
	opts.Auth = AuthToken
	opts.Users = map[string]string{alice: alicePW}
	opts.PublicRepositories = []string{"public/*"}
	r := New(t, opts)
	ctx := context.Background()
	pub, err := r.PushImage(ctx, "public/app:1")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := r.PushImage(ctx, "private:1")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Requests.All()) + len(r.TokenRequests.All()); n != 0 {
		t.Fatalf("fixture pushes were logged: %d requests", n)
	}
	return r, digestOf(t, pub), digestOf(t, priv)
}

// TestTokenAuth proves the token flow end to end with go-containerregistry:
// anonymous pulls reach only public repositories, a user reaches private
// ones, a wrong password is a 401, and the token server is a separate port.
func TestTokenAuth(t *testing.T) {
	r, pubDigest, privDigest := newTokenRegistry(t, Options{})

	t.Run("anonymous pull of public repository", func(t *testing.T) {
		desc, err := remote.Head(mustRef(t, r, "public/app:1"), client(t, r, authn.Anonymous)...)
		if err != nil {
			t.Fatalf("anonymous HEAD of public repository: %v", err)
		}
		if desc.Digest != pubDigest {
			t.Errorf("digest = %s, want %s", desc.Digest, pubDigest)
		}
	})

	t.Run("anonymous pull of private repository is 401", func(t *testing.T) {
		_, err := remote.Head(mustRef(t, r, "private:1"), client(t, r, authn.Anonymous)...)
		if got := statusOf(err); got != http.StatusUnauthorized {
			t.Fatalf("anonymous HEAD of private repository: status %d (err %v), want 401", got, err)
		}
	})

	t.Run("user pulls private repository", func(t *testing.T) {
		r.TokenRequests.Reset()
		desc, err := remote.Get(mustRef(t, r, "private:1"), client(t, r, &authn.Basic{Username: alice, Password: alicePW})...)
		if err != nil {
			t.Fatalf("GET private with credentials: %v", err)
		}
		if desc.Digest != privDigest {
			t.Errorf("digest = %s, want %s", desc.Digest, privDigest)
		}
		if !r.TokenRequests.SawSecret(alicePW) {
			t.Error("token server did not see the password")
		}
		if r.Requests.SawSecret(alicePW) {
			t.Error("registry saw the password; it should only see bearer tokens")
		}
		var bearer bool
		for _, req := range r.Requests.All() {
			bearer = bearer || req.AuthScheme == "Bearer"
		}
		if !bearer {
			t.Error("registry got no Bearer request")
		}
		scopes := r.TokenRequests.All()[0].Scopes
		if len(scopes) != 1 || scopes[0] != "repository:private:pull" {
			t.Errorf("token request scopes = %q, want [repository:private:pull]", scopes)
		}
	})

	t.Run("user may not push", func(t *testing.T) {
		img, err := r.PushImage(context.Background(), "private:2")
		if err != nil {
			t.Fatal(err)
		}
		err = remote.Write(mustRef(t, r, "private:3"), img, client(t, r, &authn.Basic{Username: alice, Password: alicePW})...)
		// go-containerregistry answers a 401 to its manifest PUT by asking
		// for a token again and sending the PUT once more, whose body it has
		// sometimes already sent ("ContentLength=… with Body length 0"): then
		// the registry's refusal is in its log rather than in the error.
		refused := false
		for _, req := range r.Requests.All() {
			if req.Method == http.MethodPut && req.Path == "/v2/private/manifests/3" && (req.Status == http.StatusUnauthorized || req.Status == http.StatusForbidden) {
				refused = true
			}
		}
		if got := statusOf(err); err == nil || (got != http.StatusUnauthorized && got != http.StatusForbidden && !refused) {
			t.Fatalf("push as a pull-only user: status %d (err %v), want 401 or 403", got, err)
		}
	})

	t.Run("wrong password is 401", func(t *testing.T) {
		_, err := remote.Head(mustRef(t, r, "private:1"), client(t, r, &authn.Basic{Username: alice, Password: wrongPW})...)
		if got := statusOf(err); got != http.StatusUnauthorized {
			t.Fatalf("HEAD with wrong password: status %d (err %v), want 401", got, err)
		}
	})

	t.Run("token server is on its own port", func(t *testing.T) {
		u, err := url.Parse(r.TokenURL)
		if err != nil {
			t.Fatal(err)
		}
		_, regPort, _ := strings.Cut(r.Host, ":")
		if u.Hostname() != "localhost" || u.Port() == regPort || u.Path != "/token" {
			t.Errorf("TokenURL = %s, want http://localhost:<port other than %s>/token", r.TokenURL, regPort)
		}
		if r.TokenRequests.Count(http.MethodGet, "/token") == 0 {
			t.Error("token server recorded no GET /token")
		}
		if r.Requests.Count("", "/token") != 0 {
			t.Error("registry received token requests")
		}
	})
}

type tokenJSON struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
}

func doJSON(t *testing.T, r *Registry, req *http.Request, into any) *http.Response {
	t.Helper()
	tr := r.HTTPTransport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
	return resp
}

// TestTokenServerWire checks the token server's answers byte for byte where
// clients depend on them: error body and challenge, token fields, OAuth2.
func TestTokenServerWire(t *testing.T) {
	r, _, _ := newTokenRegistry(t, Options{TokenResponse: "token", RefreshTokens: map[string]string{"rt-static": alice}})

	t.Run("wrong password: 401, Basic challenge, error body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, r.TokenURL+"?service="+Service+"&scope=repository:private:pull", nil)
		req.SetBasicAuth(alice, wrongPW)
		var body struct {
			Errors []struct{ Code, Message string }
		}
		resp := doJSON(t, r, req, &body)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
		if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="registrytest"` {
			t.Errorf("WWW-Authenticate = %q", got)
		}
		if len(body.Errors) != 1 || body.Errors[0].Code != "UNAUTHORIZED" {
			t.Errorf("errors = %+v, want one UNAUTHORIZED", body.Errors)
		}
	})

	t.Run("GET answers only the configured field", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, r.TokenURL+"?service="+Service+"&scope=repository:public/app:pull&scope=repository:private:pull", nil)
		var tok tokenJSON
		if resp := doJSON(t, r, req, &tok); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if tok.Token == "" || tok.AccessToken != "" {
			t.Errorf("token=%t access_token=%t, want only token", tok.Token != "", tok.AccessToken != "")
		}
		if tok.ExpiresIn != 300 || tok.IssuedAt == "" || tok.RefreshToken != "" {
			t.Errorf("expires_in=%d issued_at=%q refresh=%t", tok.ExpiresIn, tok.IssuedAt, tok.RefreshToken != "")
		}
	})

	t.Run("refresh token in go-containerregistry uses POST", func(t *testing.T) {
		r.TokenRequests.Reset()
		auth := authn.FromConfig(authn.AuthConfig{IdentityToken: "rt-static"})
		if _, err := remote.Head(mustRef(t, r, "private:1"), client(t, r, auth)...); err != nil {
			t.Fatalf("HEAD with refresh token: %v", err)
		}
		if n := r.TokenRequests.Count(http.MethodPost, "/token"); n != 1 {
			t.Errorf("POST /token count = %d, want 1", n)
		}
		if !r.TokenRequests.SawSecret("rt-static") {
			t.Error("SawSecret missed a refresh token sent in a POST body")
		}
	})

	t.Run("password grant with offline access returns a usable refresh token", func(t *testing.T) {
		form := url.Values{
			"grant_type": {"password"}, "username": {alice}, "password": {alicePW},
			"client_id": {"registrytest"}, "access_type": {"offline"}, "service": {Service},
			"scope": {"repository:private:pull"},
		}
		req, _ := http.NewRequest(http.MethodPost, r.TokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var tok tokenJSON
		if resp := doJSON(t, r, req, &tok); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh_token")
		}
		auth := authn.FromConfig(authn.AuthConfig{IdentityToken: tok.RefreshToken})
		if _, err := remote.Head(mustRef(t, r, "private:1"), client(t, r, auth)...); err != nil {
			t.Fatalf("HEAD with issued refresh token: %v", err)
		}
	})

	t.Run("unknown refresh token is 401", func(t *testing.T) {
		auth := authn.FromConfig(authn.AuthConfig{IdentityToken: "rt-unknown"})
		_, err := remote.Head(mustRef(t, r, "private:1"), client(t, r, auth)...)
		if got := statusOf(err); got != http.StatusUnauthorized {
			t.Fatalf("status %d (err %v), want 401", got, err)
		}
	})
}

// TestDisableOAuthPOST proves POST /token can be turned off, as on token
// servers without OAuth2.
func TestDisableOAuthPOST(t *testing.T) {
	r := New(t, Options{Auth: AuthToken, DisableOAuthPOST: true})
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"c"}}
	req, _ := http.NewRequest(http.MethodPost, r.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp := doJSON(t, r, req, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /token status %d, want 405", resp.StatusCode)
	}
}

// TestHtpasswd proves Basic auth against the registry itself.
func TestHtpasswd(t *testing.T) {
	r := New(t, Options{Auth: AuthHtpasswd, Users: map[string]string{alice: alicePW}})
	img, err := r.PushImage(context.Background(), "app:1")
	if err != nil {
		t.Fatal(err)
	}
	ref := mustRef(t, r, "app:1")

	if _, err := remote.Head(ref, client(t, r, authn.Anonymous)...); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("anonymous HEAD: %v, want 401", err)
	}
	if _, err := remote.Head(ref, client(t, r, &authn.Basic{Username: alice, Password: wrongPW})...); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("wrong password HEAD: %v, want 401", err)
	}
	desc, err := remote.Head(ref, client(t, r, &authn.Basic{Username: alice, Password: alicePW})...)
	if err != nil {
		t.Fatalf("HEAD with credentials: %v", err)
	}
	if desc.Digest != digestOf(t, img) {
		t.Errorf("digest = %s, want %s", desc.Digest, digestOf(t, img))
	}
	if !r.Requests.SawSecret(alicePW) {
		t.Error("registry did not record the Basic password it received")
	}
	if r.TokenURL != "" || r.Count("", "/v2/") == 0 {
		t.Errorf("TokenURL=%q count=%d", r.TokenURL, r.Count("", "/v2/"))
	}
}

// TestTLS proves the private CA is required and sufficient, for the registry
// and for the token server.
func TestTLS(t *testing.T) {
	r, _, privDigest := newTokenRegistry(t, Options{TLS: true})
	if !strings.HasPrefix(r.URL, "https://") || !strings.HasPrefix(r.TokenURL, "https://localhost:") || len(r.CAPEM) == 0 {
		t.Fatalf("URL=%s TokenURL=%s CAPEM=%d bytes", r.URL, r.TokenURL, len(r.CAPEM))
	}
	ref := mustRef(t, r, "private:1")

	desc, err := remote.Head(ref, client(t, r, &authn.Basic{Username: alice, Password: alicePW})...)
	if err != nil {
		t.Fatalf("HEAD with the CA: %v", err)
	}
	if desc.Digest != privDigest {
		t.Errorf("digest = %s, want %s", desc.Digest, privDigest)
	}

	tr := &http.Transport{} // system roots only
	defer tr.CloseIdleConnections()
	_, err = remote.Head(ref, remote.WithTransport(tr), remote.WithAuth(authn.Anonymous))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("HEAD without the CA: %v, want x509.UnknownAuthorityError", err)
	}
}

// TestWrapFault proves Wrap sees client requests (and the log records the
// injected status) while fixture pushes bypass it.
func TestWrapFault(t *testing.T) {
	r := New(t, Options{Wrap: Fault(Match(http.MethodHead, "/v2/app/manifests/"), Respond(http.StatusServiceUnavailable, "UNAVAILABLE"))})
	if _, err := r.PushImage(context.Background(), "app:1"); err != nil {
		t.Fatalf("fixture push went through the fault: %v", err)
	}
	opts := append(client(t, r, authn.Anonymous), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	_, err := remote.Head(mustRef(t, r, "app:1"), opts...)
	if got := statusOf(err); got != http.StatusServiceUnavailable {
		t.Fatalf("HEAD status %d (err %v), want 503", got, err)
	}
	if _, err := remote.Get(mustRef(t, r, "app:1"), client(t, r, authn.Anonymous)...); err != nil {
		t.Fatalf("GET is not faulted: %v", err)
	}
	var saw503 bool
	for _, req := range r.Requests.All() {
		saw503 = saw503 || (req.Method == http.MethodHead && req.Status == http.StatusServiceUnavailable)
		if req.Method == http.MethodPut || req.Method == http.MethodPost || req.Method == http.MethodPatch {
			t.Errorf("fixture request logged: %+v", req)
		}
	}
	if !saw503 {
		t.Errorf("log has no 503 HEAD: %+v", r.Requests.All())
	}
}

// TestFixtures proves the helpers build what they promise: formats,
// platforms, labels, created time, annotations and raw manifests.
func TestFixtures(t *testing.T) {
	r := New(t, Options{})
	ctx := context.Background()
	created, _ := time.Parse(time.RFC3339, pushedAt)

	img, err := r.PushImage(ctx, "team/app:1",
		WithMediaType(Docker), WithLabels(map[string]string{"l": "v"}), WithCreated(created),
		WithAnnotations(map[string]string{"a": "b"}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(mustRef(t, r, "team/app:1"), client(t, r, authn.Anonymous)...)
	if err != nil {
		t.Fatal(err)
	}
	if d := digestOf(t, got); d != digestOf(t, img) {
		t.Errorf("digest = %s, want %s", d, digestOf(t, img))
	}
	mt, _ := got.MediaType()
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := got.Manifest()
	if mt != types.DockerManifestSchema2 || cf.Config.Labels["l"] != "v" || !cf.Created.Equal(created) || m.Annotations["a"] != "b" || cf.Architecture != "amd64" {
		t.Errorf("media type %s, labels %v, created %v, annotations %v, arch %s", mt, cf.Config.Labels, cf.Created, m.Annotations, cf.Architecture)
	}

	platforms := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
	for tag, f := range map[string]ManifestFormat{"oci": OCI, "docker": Docker} {
		want := map[ManifestFormat]types.MediaType{OCI: types.OCIImageIndex, Docker: types.DockerManifestList}[f]
		if _, err := r.PushIndex(ctx, "multi:"+tag, platforms, WithMediaType(f)); err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(mustRef(t, r, "multi:"+tag), client(t, r, authn.Anonymous)...)
		if err != nil {
			t.Fatal(err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if im.MediaType != want || len(im.Manifests) != 2 || im.Manifests[1].Platform.Variant != "v8" {
			t.Errorf("index %s with %d manifests, want %s with 2", im.MediaType, len(im.Manifests), want)
		}
	}

	cfgDigest, err := r.PushBlob(ctx, "raw", []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	raw := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` +
		cfgDigest.String() + `","size":80},"layers":[],"annotations":{"odd":"yes"}}`
	if err := r.PushRaw(ctx, "raw", "v1", string(types.OCIManifestSchema1), []byte(raw)); err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(mustRef(t, r, "raw:v1"), client(t, r, authn.Anonymous)...)
	if err != nil {
		t.Fatal(err)
	}
	if string(desc.Manifest) != raw {
		t.Errorf("raw manifest changed: %s", desc.Manifest)
	}
}

// TestCloseLeavesNothing proves Close stops every server and goroutine of
// every mode, and is idempotent.
func TestCloseLeavesNothing(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for _, opts := range []Options{
		{},
		{Auth: AuthToken, TLS: true, Users: map[string]string{alice: alicePW}},
		{Auth: AuthHtpasswd, Users: map[string]string{alice: alicePW}},
	} {
		r, err := Start(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.PushImage(context.Background(), "app:1"); err != nil {
			t.Fatal(err)
		}
		tr := r.HTTPTransport()
		_, err = remote.Head(mustRef(t, r, "app:1"), remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: alice, Password: alicePW}))
		if err != nil {
			t.Fatalf("%s: %v", opts.Auth, err)
		}
		tr.CloseIdleConnections()
		if err := r.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if c, err := net.DialTimeout("tcp", r.Host, time.Second); err == nil {
			_ = c.Close()
			t.Errorf("%s: registry port still accepts connections after Close", opts.Auth)
		}
	}
	goleak.VerifyNone(t, before)
}

// TestCloseEndsHangingHandler proves Close does not return while a handler
// is still running, and that a handler waiting on its request ends.
func TestCloseEndsHangingHandler(t *testing.T) {
	entered := make(chan struct{})
	r, err := Start(context.Background(), Options{Wrap: Fault(Match(http.MethodGet, "/v2/hang"), func(w http.ResponseWriter, req *http.Request) {
		close(entered)
		<-req.Context().Done()
	})})
	if err != nil {
		t.Fatal(err)
	}
	tr := r.HTTPTransport()
	defer tr.CloseIdleConnections()
	done := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get(r.URL + "/v2/hang")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("request to a hanging handler succeeded after Close")
	}
	if n := r.Count(http.MethodGet, "/v2/hang"); n != 1 {
		t.Errorf("hanging request logged %d times, want 1 (Close returned before the handler)", n)
	}
}
