package dialect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"go.uber.org/goleak"
)

// TestMain fails the package if a front leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	alice   = "alice"
	alicePW = "alice-s3cret"
	wrongPW = "not-the-password"
)

// env is a front with the fixtures every dialect test uses: a public image
// pub/app:1, a private team/app:1, a public two-platform OCI index
// pub/multi:1 and a public pub/many with 25 tags t00..t24.
type env struct {
	t      *testing.T
	f      *Front
	client *http.Client // follows no redirects
	tr     http.RoundTripper
	pub    v1.Image
	priv   v1.Image
	idx    v1.ImageIndex
}

func newEnv(t *testing.T, d *Dialect, opts Options) *env {
	t.Helper()
	if opts.Users == nil && opts.Check == nil {
		opts.Users = map[string]string{alice: alicePW}
	}
	opts.Public = append(opts.Public, "pub/*")
	f := New(t, d, opts)
	ctx := context.Background()
	e := &env{t: t, f: f}
	var err error
	if e.pub, err = f.Registry.PushImage(ctx, "pub/app:1"); err != nil {
		t.Fatal(err)
	}
	if e.priv, err = f.Registry.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	if e.idx, err = f.Registry.PushIndex(ctx, "pub/multi:1", []v1.Platform{{OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "amd64"}}); err != nil {
		t.Fatal(err)
	}
	tags := make([]string, 25)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%02d", i)
	}
	if _, err := f.PushTags(ctx, "pub/many", tags...); err != nil {
		t.Fatal(err)
	}
	tr := f.Registry.HTTPTransport()
	t.Cleanup(tr.CloseIdleConnections)
	e.tr = tr
	e.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// resp is a raw answer.
type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) String() string {
	return fmt.Sprintf("%d %v %q", r.status, r.header, r.body)
}

// do sends one raw request; hdr is name, value pairs.
func (e *env) do(method, rawURL string, body io.Reader, hdr ...string) resp {
	e.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, rawURL, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (e *env) url(path string) string { return "http://" + e.f.Host + path }

// service is the service the /v2/ challenge names ("" when it names none).
func (e *env) service() string {
	e.t.Helper()
	ch := e.do(http.MethodGet, e.url("/v2/"), nil).header.Get("WWW-Authenticate")
	if m := regexp.MustCompile(`service="([^"]*)"`).FindStringSubmatch(ch); m != nil {
		return m[1]
	}
	return ""
}

// token asks the token service for repo's pull scope as user ("" for
// anonymous).
func (e *env) token(repo, user, pass string) resp {
	e.t.Helper()
	q := url.Values{"service": {e.service()}, "scope": {"repository:" + repo + ":pull"}}
	var hdr []string
	if user != "" {
		hdr = []string{"Authorization", basicHeader(user, pass)}
	}
	return e.do(http.MethodGet, e.f.realm(e.f.Host)+"?"+q.Encode(), nil, hdr...)
}

// auth returns the header pairs a client sends to repo as user: Basic
// credentials for a Basic dialect, else the token the service gives (none
// when it refuses).
func (e *env) auth(repo, user, pass string) []string {
	e.t.Helper()
	if e.f.d.Basic {
		if user == "" {
			return nil
		}
		return []string{"Authorization", basicHeader(user, pass)}
	}
	r := e.token(repo, user, pass)
	if r.status != http.StatusOK {
		return nil
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		e.t.Fatalf("token answer %q: %v", r.body, err)
	}
	tok := body.Token
	if tok == "" {
		tok = body.AccessToken
	}
	return []string{"Authorization", "Bearer " + tok}
}

// get requests path of repo as user, with more header pairs. It sends no
// credentials of its own when hdr has an Authorization header, and accepts
// every manifest type unless hdr has an Accept header.
func (e *env) get(method, path, user, pass string, hdr ...string) resp {
	e.t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		e.t.Fatal(err)
	}
	repo, _, _, _ := parsePath(u.Path)
	var sent []string
	for i := 0; i+1 < len(hdr); i += 2 {
		sent = append(sent, http.CanonicalHeaderKey(hdr[i]))
	}
	if !slices.Contains(sent, "Authorization") {
		hdr = append(e.auth(repo, user, pass), hdr...)
	}
	if !slices.Contains(sent, "Accept") {
		hdr = append(hdr, "Accept", everyManifestType)
	}
	return e.do(method, e.url(path), nil, hdr...)
}

func basicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// ggcr returns remote options as user ("" for anonymous).
func (e *env) ggcr(user, pass string, more ...remote.Option) []remote.Option {
	auth := authn.Anonymous
	if user != "" {
		auth = &authn.Basic{Username: user, Password: pass}
	}
	return append([]remote.Option{remote.WithTransport(e.tr), remote.WithAuth(auth), remote.WithContext(context.Background())}, more...)
}

func (e *env) ref(s string) name.Reference {
	e.t.Helper()
	ref, err := name.ParseReference(e.f.Reference(s), name.Insecure)
	if err != nil {
		e.t.Fatal(err)
	}
	return ref
}

func digest(t *testing.T, m interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	d, err := m.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pubConfig is the blob path of pub/app:1's config.
func (e *env) pubConfig() string {
	e.t.Helper()
	d, err := e.pub.ConfigName()
	if err != nil {
		e.t.Fatal(err)
	}
	return "/v2/pub/app/blobs/" + d.String()
}

// want is what a check expects: the status, header values that must
// contain a string ("" means the header must be absent), and body
// substrings.
type want struct {
	status int
	header map[string]string
	body   []string
}

// check is one situation of a dialect table.
type check struct {
	name string
	do   func(e *env) resp
	want want
}

func runChecks(t *testing.T, e *env, checks []check) {
	t.Helper()
	for _, c := range checks {
		got := c.do(e)
		if got.status != c.want.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, got.status, c.want.status, got)
			continue
		}
		for h, sub := range c.want.header {
			v, present := got.header[http.CanonicalHeaderKey(h)]
			switch {
			case sub == "" && present:
				t.Errorf("%s: header %s = %q, want it absent", c.name, h, v)
			case sub != "" && !strings.Contains(strings.Join(v, ", "), sub):
				t.Errorf("%s: header %s = %q, want it to contain %q", c.name, h, v, sub)
			}
		}
		for _, sub := range c.want.body {
			if !strings.Contains(got.body, sub) {
				t.Errorf("%s: body %q lacks %q", c.name, got.body, sub)
			}
		}
	}
}

// commonClientChecks proves a client (go-containerregistry) gets through
// what every front must allow: a public pull, a private pull with
// credentials, a config blob behind the dialect's redirect, and the tag
// list (with listAll false where the dialect's paging breaks clients).
func commonClientChecks(t *testing.T, e *env, user, pass string, listAll bool) {
	t.Helper()
	desc, err := remote.Get(e.ref("pub/app:1"), e.ggcr("", "")...)
	if err != nil {
		t.Fatalf("anonymous pull of a public image: %v", err)
	}
	if desc.Digest != digest(t, e.pub) {
		t.Errorf("public digest %s, want %s", desc.Digest, digest(t, e.pub))
	}
	img, err := remote.Image(e.ref("team/app:1"), e.ggcr(user, pass)...)
	if err != nil {
		t.Fatalf("private pull with credentials: %v", err)
	}
	if _, err := img.ConfigFile(); err != nil {
		t.Fatalf("config blob of the private image: %v", err)
	}
	if _, err := remote.Head(e.ref("team/app:1"), e.ggcr("", "")...); err == nil {
		t.Error("anonymous HEAD of a private image succeeded")
	}
	tags, err := remote.List(e.ref("pub/many:t00").Context(), e.ggcr("", "", remote.WithPageSize(10))...)
	switch {
	case listAll && (err != nil || len(tags) != 25):
		t.Errorf("listing 25 tags 10 a page: %d tags, %v", len(tags), err)
	case !listAll && err == nil && len(tags) == 25:
		t.Error("listing tags worked where the dialect's paging should break it")
	}
}

// TestPublicPatterns proves the pattern rules of Options.Public.
func TestPublicPatterns(t *testing.T) {
	f := &Front{public: []string{"lib/*", "exact"}}
	for repo, want := range map[string]bool{"lib/a": true, "lib/a/b": true, "lib": false, "library/a": false, "exact": true, "exact/x": false} {
		if got := f.isPublic(repo); got != want {
			t.Errorf("isPublic(%q) = %v, want %v", repo, got, want)
		}
	}
	if (&Front{public: []string{"*"}}).isPublic("any/thing") != true {
		t.Error(`"*" does not make everything public`)
	}
}

// TestParsePath proves repository names with slashes, and every kind.
func TestParsePath(t *testing.T) {
	for p, w := range map[string][3]string{
		"/v2/a/b/manifests/1":           {"a/b", "manifests", "1"},
		"/v2/a/blobs/sha256:00":         {"a", "blobs", "sha256:00"},
		"/v2/x/manifests/y/tags/list":   {"x/manifests/y", "tags", ""},
		"/v2/a/b/c/referrers/sha256:ab": {"a/b/c", "referrers", "sha256:ab"},
		"/v2/a/blobs/uploads/":          {"a", "blobs", "uploads/"},
		"/v2/a/manifests/x/manifests/1": {"a/manifests/x", "manifests", "1"},
	} {
		repo, kind, ref, ok := parsePath(p)
		if !ok || repo != w[0] || kind != w[1] || ref != w[2] {
			t.Errorf("parsePath(%q) = %q %q %q %v, want %q", p, repo, kind, ref, ok, w)
		}
	}
	if _, _, _, ok := parsePath("/v2/"); ok {
		t.Error("parsePath(/v2/) matched")
	}
}

// TestErrorsBody proves the three detail forms registries use.
func TestErrorsBody(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{errorsBody("A", "b"), `{"errors":[{"code":"A","message":"b"}]}` + "\n"},
		{errorsBody("A", "b", nil), `{"errors":[{"code":"A","message":"b","detail":null}]}` + "\n"},
		{errorsBody("A", "b", map[string]string{}), `{"errors":[{"code":"A","message":"b","detail":{}}]}` + "\n"},
	} {
		if c.got != c.want {
			t.Errorf("errorsBody = %q, want %q", c.got, c.want)
		}
	}
}

// indexAccept is an Accept header without the OCI index type.
var indexAccept = string(types.DockerManifestSchema2) + ", " + string(types.OCIManifestSchema1)

const (
	manifestPriv = "/v2/team/app/manifests/1"
	manifestPub  = "/v2/pub/app/manifests/1"
	missingRepo  = "/v2/no/such/manifests/1"
	missingTag   = "/v2/pub/app/manifests/nope"
	multi        = "/v2/pub/multi/manifests/1"
	manyTags     = "/v2/pub/many/tags/list"
)

// get returns a check step that GETs (or HEADs) path as user.
func get(method, path, user, pass string, hdr ...string) func(*env) resp {
	return func(e *env) resp { return e.get(method, path, user, pass, hdr...) }
}

// tokenFor returns a check step that asks the token service for repo.
func tokenFor(repo, user, pass string) func(*env) resp {
	return func(e *env) resp { return e.token(repo, user, pass) }
}

func ping(e *env) resp { return e.do(http.MethodGet, e.url("/v2/"), nil) }

// follow returns a check step that fetches the pub/app config blob as the
// front redirects it, and then the Location with more header pairs.
func follow(method string, hdr ...string) func(*env) resp {
	return func(e *env) resp {
		r := e.get(http.MethodGet, e.pubConfig(), "", "")
		loc, err := url.Parse(r.header.Get("Location"))
		if r.status/100 != 3 || err != nil {
			e.t.Fatalf("config blob: %v, want a redirect", r)
		}
		base, err := url.Parse(e.url("/v2/"))
		if err != nil {
			e.t.Fatal(err)
		}
		return e.do(method, base.ResolveReference(loc).String(), nil, hdr...)
	}
}

// claims decodes the claims of a JWT-shaped token answer.
func claims(t *testing.T, body string) map[string]any {
	t.Helper()
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not JWT-shaped", tok.Token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
