package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// manifestWant is what one imageinfo_manifest data source must hold, as an
// independent reading of what was pushed gives it; checks makes it one state
// check per attribute.
type manifestWant struct {
	registry, repository string
	tag                  string // "" for a reference without one: null
	manifest             pushed
	annotations          map[string]string
	// content, when set, also checks what the manifest lists and the image
	// the read chose; nil leaves those attributes unchecked.
	content *manifestContent
}

// manifestContent is what a manifest lists, and the image a read chose.
type manifestContent struct {
	artifactType, subjectDigest string             // "" for null
	entries                     []knownvalue.Check // an index's manifests; none for an image
	image                       *imageWant         // nil when no image was chosen
}

// imageWant is the single-platform image a read chose.
type imageWant struct {
	digest, mediaType, configDigest, configMediaType string
	layers                                           []knownvalue.Check
	os, architecture, variant, created               string // "" for null
	labels                                           map[string]string
}

// checks lists a check of every attribute of data source addr that w knows.
func (w manifestWant) checks(addr string) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	expect := func(attr string, c knownvalue.Check) {
		checks = append(checks, statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), c))
	}
	expect("registry", knownvalue.StringExact(w.registry))
	expect("repository", knownvalue.StringExact(w.repository))
	expect("tag", stringOrNull(w.tag))
	expect("digest", knownvalue.StringExact(w.manifest.digest))
	expect("media_type", knownvalue.StringExact(w.manifest.mediaType))
	expect("size", knownvalue.Int64Exact(int64(len(w.manifest.raw))))
	expect("pinned_reference", knownvalue.StringExact(w.registry+"/"+w.repository+"@"+w.manifest.digest))
	expect("manifest_json", knownvalue.StringExact(string(w.manifest.raw)))
	expect("annotations", mapChecks(w.annotations))
	c := w.content
	if c == nil {
		return checks
	}
	expect("artifact_type", stringOrNull(c.artifactType))
	expect("subject_digest", stringOrNull(c.subjectDigest))
	expect("manifests", knownvalue.ListExact(c.entries))
	im := c.image
	if im == nil {
		expect("layers", knownvalue.ListExact([]knownvalue.Check{}))
		expect("labels", knownvalue.MapExact(map[string]knownvalue.Check{}))
		for _, a := range []string{"image_digest", "image_media_type", "config_digest", "config_media_type", "os", "architecture", "variant", "created"} {
			expect(a, knownvalue.Null())
		}
		return checks
	}
	expect("image_digest", knownvalue.StringExact(im.digest))
	expect("image_media_type", knownvalue.StringExact(im.mediaType))
	expect("config_digest", knownvalue.StringExact(im.configDigest))
	expect("config_media_type", knownvalue.StringExact(im.configMediaType))
	expect("layers", knownvalue.ListExact(im.layers))
	expect("os", stringOrNull(im.os))
	expect("architecture", stringOrNull(im.architecture))
	expect("variant", stringOrNull(im.variant))
	expect("created", stringOrNull(im.created))
	expect("labels", mapChecks(im.labels))
	return checks
}

// TestAccManifest_TokenAuth resolves every reference form through the Docker
// token flow with Basic credentials at the realm, and checks every attribute
// against go-containerregistry's view of what was pushed.
func TestAccManifest_TokenAuth(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{
		Auth:               registrytest.AuthToken,
		Users:              map[string]string{testUser: testPassword},
		PublicRepositories: []string{"public/*"},
	})
	img, err := reg.PushImage(ctx, "team/app:1", registrytest.WithAnnotations(map[string]string{"org.opencontainers.image.revision": "abc123"}))
	if err != nil {
		t.Fatal(err)
	}
	app := manifestOf(t, img)
	latestImg, err := reg.PushImage(ctx, "team/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	latest := manifestOf(t, latestImg)
	dockerImg, err := reg.PushImage(ctx, "team/app:docker", registrytest.WithMediaType(registrytest.Docker))
	if err != nil {
		t.Fatal(err)
	}
	docker := manifestOf(t, dockerImg)
	idx, err := reg.PushIndex(ctx, "team/multi:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}})
	if err != nil {
		t.Fatal(err)
	}
	multi := manifestOf(t, idx)
	dockerIdx, err := reg.PushIndex(ctx, "team/multi:docker", []v1.Platform{{OS: "linux", Architecture: "amd64"}}, registrytest.WithMediaType(registrytest.Docker))
	if err != nil {
		t.Fatal(err)
	}
	dockerList := manifestOf(t, dockerIdx)

	h := reg.Host
	config := providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q(testPassword))) +
		manifestConfig(map[string]string{
			"name":       h + "/team/app",
			"tag":        h + "/team/app:1",
			"digest":     h + "/team/app@" + app.digest,
			"tag_digest": h + "/team/app:docker@" + app.digest,
			"index":      h + "/team/multi:1",
			"docker":     h + "/team/app:docker",
			"list":       h + "/team/multi:docker",
		})
	revision := map[string]string{"org.opencontainers.image.revision": "abc123"}
	want := func(repo, tag string, p pushed, annotations map[string]string) manifestWant {
		return manifestWant{registry: h, repository: repo, tag: tag, manifest: p, annotations: annotations}
	}
	var checks []statecheck.StateCheck
	checks = append(checks, want("team/app", "latest", latest, nil).checks("data.imageinfo_manifest.name")...)
	checks = append(checks, want("team/app", "1", app, revision).checks("data.imageinfo_manifest.tag")...)
	checks = append(checks, want("team/app", "", app, revision).checks("data.imageinfo_manifest.digest")...)
	// The digest wins over the tag, as in Docker; the tag is still reported.
	checks = append(checks, want("team/app", "docker", app, revision).checks("data.imageinfo_manifest.tag_digest")...)
	checks = append(checks, want("team/multi", "1", multi, nil).checks("data.imageinfo_manifest.index")...)
	checks = append(checks, want("team/app", "docker", docker, nil).checks("data.imageinfo_manifest.docker")...)
	checks = append(checks, want("team/multi", "docker", dockerList, nil).checks("data.imageinfo_manifest.list")...)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigStateChecks: checks,
		}},
	})

	// The realm got the credentials, and only ever for pull.
	tokens := reg.TokenRequests.All()
	if len(tokens) == 0 {
		t.Fatal("the token server received no request: the Bearer flow was not used")
	}
	for _, r := range tokens {
		if r.AuthScheme != "Basic" {
			t.Errorf("token request %s %s carried %q auth, want Basic credentials", r.Method, r.Path, r.AuthScheme)
		}
		for _, s := range r.Scopes {
			if !strings.HasSuffix(s, ":pull") {
				t.Errorf("token request asked for scope %q: only pull may ever be asked for", s)
			}
		}
	}
	// The registry itself never saw the password: only tokens.
	if reg.Requests.SawSecret(testPassword) {
		t.Error("the registry received the password; with a Bearer challenge only the realm may")
	}
}

// TestAccManifest_Anonymous reads a public repository with no configuration,
// and shows that a private one then fails as unauthorized.
func TestAccManifest_Anonymous(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{
		Auth:               registrytest.AuthToken,
		Users:              map[string]string{testUser: testPassword},
		PublicRepositories: []string{"public/*"},
	})
	img, err := reg.PushImage(ctx, "public/tools:1")
	if err != nil {
		t.Fatal(err)
	}
	tools := manifestOf(t, img)
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            providerConfig("") + manifestConfig(map[string]string{"tools": h + "/public/tools:1"}),
				ConfigStateChecks: manifestWant{registry: h, repository: "public/tools", tag: "1", manifest: tools}.checks("data.imageinfo_manifest.tools"),
			},
			{
				Config:      providerConfig("") + manifestConfig(map[string]string{"app": h + "/team/app:1"}),
				ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*registry "` + regexp.QuoteMeta(h) + `", repository\s+"team/app"`),
			},
		},
	})
	for _, r := range reg.TokenRequests.All() {
		if r.HasAuthorization {
			t.Errorf("anonymous configuration sent %s credentials to the token server", r.AuthScheme)
		}
	}
}

// TestAccManifest_WrongPassword: a wrong password is an "unauthorized"
// diagnostic that names the registry and repository.
func TestAccManifest_WrongPassword(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{testUser: testPassword}})
	if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
		t.Fatal(err)
	}
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q("wrong-password-9d1c"))) +
				manifestConfig(map[string]string{"app": h + "/team/app:1"}),
			ExpectError: regexp.MustCompile(`(?s)Registry Authentication Failed.*registry "` + regexp.QuoteMeta(h) + `", repository\s+"team/app".*tag "1".*HTTP 401`),
		}},
	})
}

// TestAccManifest_Htpasswd uses Basic credentials against a registry that
// answers with a Basic challenge.
func TestAccManifest_Htpasswd(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: map[string]string{testUser: testPassword}})
	img, err := reg.PushImage(context.Background(), "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	app := manifestOf(t, img)
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config: providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q(testPassword))) +
					manifestConfig(map[string]string{"app": h + "/team/app:1"}),
				ConfigStateChecks: manifestWant{registry: h, repository: "team/app", tag: "1", manifest: app}.checks("data.imageinfo_manifest.app"),
			},
			{
				Config: providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q("nope"))) +
					manifestConfig(map[string]string{"app": h + "/team/app:1"}),
				ExpectError: regexp.MustCompile(`Registry Authentication Failed`),
			},
			{
				Config:      providerConfig("") + manifestConfig(map[string]string{"app": h + "/team/app:1"}),
				ExpectError: regexp.MustCompile(`Registry Authentication Failed`),
			},
		},
	})
	if n := countAuth(reg.Requests.All(), "Basic"); n == 0 {
		t.Error("the registry saw no Basic credentials: the Basic challenge was not answered")
	}
}

// TestAccManifest_StaticToken sends a configured token as is: the provider
// never asks the token server for one.
func TestAccManifest_StaticToken(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{testUser: testPassword}})
	img, err := reg.PushImage(context.Background(), "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	app := manifestOf(t, img)
	token := fetchToken(t, reg, "team/app", testUser, testPassword)
	reg.TokenRequests.Reset()
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            providerConfig("", registryBlock("address", q(h), "token", q(token))) + manifestConfig(map[string]string{"app": h + "/team/app:1"}),
			ConfigStateChecks: manifestWant{registry: h, repository: "team/app", tag: "1", manifest: app}.checks("data.imageinfo_manifest.app"),
		}},
	})
	if n := len(reg.TokenRequests.All()); n != 0 {
		t.Errorf("the token server received %d requests; a configured token must be used as is", n)
	}
	if countAuth(reg.Requests.All(), "Bearer") == 0 {
		t.Error("the registry never received the bearer token")
	}
}

// TestAccManifest_AccessTokenField: token servers that answer with
// access_token only (the OAuth2 field name) work too.
func TestAccManifest_AccessTokenField(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, TokenResponse: "access_token", Users: map[string]string{testUser: testPassword}})
	img, err := reg.PushImage(context.Background(), "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	app := manifestOf(t, img)
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q(testPassword))) + manifestConfig(map[string]string{"app": h + "/team/app:1"}),
			ConfigStateChecks: manifestWant{registry: h, repository: "team/app", tag: "1", manifest: app}.checks("data.imageinfo_manifest.app"),
		}},
	})
}

// TestAccManifest_TLS reaches a registry whose certificate comes from a
// private CA: trusted through ca_cert_pem, refused without it, accepted with
// skip_tls_verify. Its token server is another host (localhost, another
// port) with a certificate from the same CA: the registry's block does not
// reach it, a block of its own does.
func TestAccManifest_TLS(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: map[string]string{testUser: testPassword}})
	img, err := reg.PushImage(context.Background(), "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	app := manifestOf(t, img)
	h := reg.Host
	creds := []string{"address", q(h), "username", q(testUser), "password", q(testPassword)}
	data := manifestConfig(map[string]string{"app": h + "/team/app:1"})
	ca := heredoc(strings.TrimSpace(string(reg.CAPEM)))
	realm := registryBlock("address", q(reg.TokenHost()), "ca_cert_pem", ca)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            providerConfig("", registryBlock(append(creds, "ca_cert_pem", ca)...), realm) + data,
				ConfigStateChecks: manifestWant{registry: h, repository: "team/app", tag: "1", manifest: app}.checks("data.imageinfo_manifest.app"),
			},
			{
				Config:      providerConfig("", registryBlock(creds...)) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry TLS Error.*ca_cert_pem`),
			},
			{
				// The registry's CA alone: its token server is not trusted.
				Config:      providerConfig("", registryBlock(append(creds, "ca_cert_pem", ca)...)) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry TLS Error.*TLS failure was at\s+` + regexp.QuoteMeta(reg.TokenHost()) + `.*address\s+=\s+"` + regexp.QuoteMeta(reg.TokenHost())),
			},
			{
				Config:            providerConfig("", registryBlock(append(creds, "skip_tls_verify", "true")...), realm) + data,
				ConfigStateChecks: manifestWant{registry: h, repository: "team/app", tag: "1", manifest: app}.checks("data.imageinfo_manifest.app"),
			},
		},
	})
}

// faultRegistry is an anonymous registry whose repositories named after a
// failure class answer with that failure.
func faultRegistry(t *testing.T, flakyFailures int32) (*registrytest.Registry, *atomic.Int32) {
	t.Helper()
	var flaky atomic.Int32
	otherDigest := "sha256:" + strings.Repeat("0", 64)
	schema1 := `{"schemaVersion":1,"name":"schema1/app","tag":"1","architecture":"amd64","fsLayers":[],"history":[],"signatures":[]}`
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case strings.HasPrefix(p, "/v2/denied/"):
				registrytest.Respond(http.StatusForbidden, "DENIED")(w, r)
			case strings.HasPrefix(p, "/v2/ratelimited/"):
				w.Header().Set("Retry-After", "7")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`)
			case strings.HasPrefix(p, "/v2/garbage/") && strings.Contains(p, "/manifests/"):
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				_, _ = io.WriteString(w, "<html>this is not a manifest</html>")
			case strings.HasPrefix(p, "/v2/schema1/") && strings.Contains(p, "/manifests/"):
				sum := sha256.Sum256([]byte(schema1))
				w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws")
				w.Header().Set("Docker-Content-Digest", "sha256:"+hex.EncodeToString(sum[:]))
				_, _ = io.WriteString(w, schema1)
			case strings.HasPrefix(p, "/v2/mismatch/") && strings.Contains(p, "/manifests/"):
				next.ServeHTTP(&headerRewriter{ResponseWriter: w, key: "Docker-Content-Digest", value: otherDigest}, r)
			case strings.HasPrefix(p, "/v2/slow/") && strings.Contains(p, "/manifests/"):
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			case strings.HasPrefix(p, "/v2/flaky/") && strings.Contains(p, "/manifests/") && flaky.Add(1) <= flakyFailures:
				registrytest.Respond(http.StatusServiceUnavailable, "UNAVAILABLE")(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
	reg := registrytest.New(t, registrytest.Options{Wrap: wrap})
	for _, repo := range []string{"team/app:1", "mismatch/app:1", "flaky/app:1"} {
		if _, err := reg.PushImage(context.Background(), repo); err != nil {
			t.Fatal(err)
		}
	}
	return reg, &flaky
}

// headerRewriter replaces one response header before it is written.
type headerRewriter struct {
	http.ResponseWriter
	key, value string
}

func (h *headerRewriter) WriteHeader(code int) {
	if h.Header().Get(h.key) != "" {
		h.Header().Set(h.key, h.value)
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerRewriter) Write(b []byte) (int, error) {
	if h.Header().Get(h.key) != "" {
		h.Header().Set(h.key, h.value)
	}
	return h.ResponseWriter.Write(b)
}

// TestAccManifest_ErrorClasses shows that each failure class gets its own
// diagnostic naming the registry and repository and saying what to do.
func TestAccManifest_ErrorClasses(t *testing.T) {
	reg, _ := faultRegistry(t, 0)
	h := reg.Host
	closed := closedPort(t)
	step := func(settings, ref, want string) resource.TestStep {
		return resource.TestStep{
			Config:      providerConfig(settings) + manifestConfig(map[string]string{"x": ref}),
			ExpectError: regexp.MustCompile(want),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			step("", h+"/team/app:nope", `(?s)Image Not Found.*repository "team/app", tag "nope".*MANIFEST_UNKNOWN`),
			step("", h+"/nothere/app:1", `(?s)Image Not Found.*repository\s+"nothere/app"`),
			step("", h+"/denied/app:1", `(?s)Registry Access Denied.*repository "denied/app".*HTTP 403 DENIED.*pull`),
			step("  max_retries = 0\n", h+"/ratelimited/app:1", `(?s)Registry Rate Limit Reached.*repository\s+"ratelimited/app".*HTTP 429.*asked for 7s`),
			step("", h+"/garbage/app:1", `(?s)Malformed Registry Response.*repository "garbage/app".*not valid JSON`),
			step("", h+"/schema1/app:1", `(?s)Unsupported Manifest.*Docker schema 1`),
			step("", h+"/mismatch/app:1", `(?s)Manifest Digest Mismatch.*Docker-Content-Digest`),
			step("  timeout = \"2s\"\n", h+"/slow/app:1", `(?s)Registry Request Timed Out.*repository "slow/app".*raise timeout`),
			step("", closed+"/team/app:1", `(?s)Registry Unreachable.*registry "`+regexp.QuoteMeta(closed)+`"`),
		},
	})
}

// TestAccManifest_Retries: a registry that fails twice with 503 is retried
// into success; with retries off the same failure is reported.
func TestAccManifest_Retries(t *testing.T) {
	reg, flaky := faultRegistry(t, 2)
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: providerConfig("  max_retries = 3\n") + manifestConfig(map[string]string{"x": h + "/flaky/app:1"}),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.imageinfo_manifest.x", tfjsonpath.New("repository"), knownvalue.StringExact("flaky/app")),
			},
		}},
	})
	if got := flaky.Load(); got < 3 {
		t.Errorf("the flaky repository was asked %d times, want at least 3 (two 503s, then success)", got)
	}
	flaky.Store(-100) // fail every request from now on
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      providerConfig("  max_retries = 0\n") + manifestConfig(map[string]string{"x": h + "/flaky/app:1"}),
			ExpectError: regexp.MustCompile(`(?s)Registry Unreachable.*HTTP 503`),
		}},
	})
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAccManifest_InvalidReference fails at validate time, before any
// request is sent.
func TestAccManifest_InvalidReference(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      providerConfig("") + manifestConfig(map[string]string{"x": h + "/Team/App:1"}),
				ExpectError: regexp.MustCompile(`(?s)Invalid Image Reference.*lower case`),
			},
			{
				Config:      providerConfig("") + manifestConfig(map[string]string{"x": h + "/team/app@sha256:1234"}),
				ExpectError: regexp.MustCompile(`(?s)Invalid Image Reference.*invalid digest`),
			},
			{
				// go-digest knows sha384, so only imageref's own rule keeps it from the registry.
				Config:      providerConfig("") + manifestConfig(map[string]string{"x": h + "/team/app@" + fnDigest384}),
				ExpectError: regexp.MustCompile(`(?s)Invalid Image Reference.*algorithm sha384 is not`),
			},
			{
				Config:      providerConfig("") + manifestConfig(map[string]string{"x": "https://" + h + "/team/app"}),
				ExpectError: regexp.MustCompile(`(?s)Invalid Image Reference.*URL scheme`),
			},
		},
	})
	if n := len(reg.Requests.All()); n != 0 {
		t.Errorf("the registry received %d requests for invalid references; validation must need no network", n)
	}
}

// kindsRegistry holds one fixture of every manifest kind the provider reads,
// in an anonymous registry, and reads them back independently: the bytes as
// served over plain HTTP, and go-containerregistry's view of them.
type kindsRegistry struct {
	t   *testing.T
	reg *registrytest.Registry
	tr  *http.Transport
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func mustJSONBytes(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func descriptorOf(t *testing.T, img v1.Image, p *v1.Platform, annotations map[string]string) map[string]any {
	t.Helper()
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	d := map[string]any{"mediaType": mt, "digest": sha256Of(raw), "size": len(raw)}
	if p != nil {
		d["platform"] = p
	}
	if annotations != nil {
		d["annotations"] = annotations
	}
	return d
}

// pushKinds pushes the fixtures:
//
//	kinds/oci:1         OCI image: labels, created, two layers, annotations
//	kinds/docker:1      Docker schema 2 image
//	kinds/list:1        Docker manifest list: linux/amd64, linux/arm64/v8
//	kinds/index:1       OCI index: linux/amd64, linux/arm64 (no variant), and
//	                    BuildKit's attestation entry (unknown/unknown)
//	kinds/artifact:sbom OCI artifact: artifactType, empty config, subject = kinds/oci:1
//	kinds/nested:1      OCI index: linux/amd64, and an index (arm/v6, arm/v7)
func (k *kindsRegistry) pushKinds() {
	t, reg, ctx := k.t, k.reg, context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	created := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	oci, err := reg.PushImage(ctx, "kinds/oci:1", registrytest.WithLayers(2, 300), registrytest.WithCreated(created),
		registrytest.WithLabels(map[string]string{"org.opencontainers.image.revision": "4f2a9c1", "org.opencontainers.image.source": "https://example.com/app"}),
		registrytest.WithAnnotations(map[string]string{"org.opencontainers.image.title": "app"}))
	must(err)
	_, err = reg.PushImage(ctx, "kinds/docker:1", registrytest.WithMediaType(registrytest.Docker),
		registrytest.WithLabels(map[string]string{"maintainer": "ops"}))
	must(err)
	_, err = reg.PushIndex(ctx, "kinds/list:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}},
		registrytest.WithMediaType(registrytest.Docker))
	must(err)

	// An index as BuildKit writes it, attestation entry included.
	amd, err := reg.PushImage(ctx, "kinds/index:amd64", registrytest.WithCreated(created))
	must(err)
	arm, err := reg.PushImage(ctx, "kinds/index:arm64", registrytest.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	must(err)
	att, err := reg.PushImage(ctx, "kinds/index:att", registrytest.WithPlatform(v1.Platform{OS: "unknown", Architecture: "unknown"}))
	must(err)
	amdDigest, _ := amd.Digest()
	index := mustJSONBytes(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIImageIndex,
		"manifests": []any{
			descriptorOf(t, amd, &v1.Platform{OS: "linux", Architecture: "amd64"}, nil),
			descriptorOf(t, arm, &v1.Platform{OS: "linux", Architecture: "arm64"}, nil),
			descriptorOf(t, att, &v1.Platform{OS: "unknown", Architecture: "unknown"}, map[string]string{
				"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": amdDigest.String(),
			}),
		},
		"annotations": map[string]string{"org.opencontainers.image.created": "2024-05-01T12:30:00Z"},
	})
	must(reg.PushRaw(ctx, "kinds/index", "1", string(types.OCIImageIndex), index))

	// An artifact (an SBOM) that refers to kinds/oci:1.
	empty := []byte("{}")
	_, err = reg.PushBlob(ctx, "kinds/artifact", empty)
	must(err)
	sbom := []byte(`{"spdxVersion":"SPDX-2.3","name":"app"}`)
	_, err = reg.PushBlob(ctx, "kinds/artifact", sbom)
	must(err)
	ociRaw, _ := oci.RawManifest()
	artifact := mustJSONBytes(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  "application/spdx+json",
		"config":        map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256Of(empty), "size": len(empty)},
		"layers": []any{map[string]any{"mediaType": "application/spdx+json", "digest": sha256Of(sbom), "size": len(sbom),
			"annotations": map[string]string{"org.opencontainers.image.title": "sbom.spdx.json"}}},
		"subject": map[string]any{"mediaType": types.OCIManifestSchema1, "digest": sha256Of(ociRaw), "size": len(ociRaw)},
	})
	must(reg.PushRaw(ctx, "kinds/artifact", "sbom", string(types.OCIManifestSchema1), artifact))

	// An index whose second entry is an index.
	inner, err := reg.PushIndex(ctx, "kinds/nested:inner", []v1.Platform{{OS: "linux", Architecture: "arm", Variant: "v6"}, {OS: "linux", Architecture: "arm", Variant: "v7"}})
	must(err)
	innerRaw, _ := inner.RawManifest()
	namd, err := reg.PushImage(ctx, "kinds/nested:amd64")
	must(err)
	nested := mustJSONBytes(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIImageIndex,
		"manifests": []any{
			descriptorOf(t, namd, &v1.Platform{OS: "linux", Architecture: "amd64"}, nil),
			map[string]any{"mediaType": types.OCIImageIndex, "digest": sha256Of(innerRaw), "size": len(innerRaw)},
		},
	})
	must(reg.PushRaw(ctx, "kinds/nested", "1", string(types.OCIImageIndex), nested))
}

// served returns a manifest's bytes exactly as the registry serves them.
func (k *kindsRegistry) served(repo, identifier string) []byte {
	k.t.Helper()
	req, err := http.NewRequest(http.MethodGet, k.reg.URL+"/v2/"+repo+"/manifests/"+identifier, nil)
	if err != nil {
		k.t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join([]string{string(types.OCIImageIndex), string(types.OCIManifestSchema1),
		string(types.DockerManifestList), string(types.DockerManifestSchema2)}, ", "))
	return k.fetch(req)
}

// blob returns a blob's bytes as served.
func (k *kindsRegistry) blob(repo, digest string) []byte {
	k.t.Helper()
	req, err := http.NewRequest(http.MethodGet, k.reg.URL+"/v2/"+repo+"/blobs/"+digest, nil)
	if err != nil {
		k.t.Fatal(err)
	}
	return k.fetch(req)
}

func (k *kindsRegistry) fetch(req *http.Request) []byte {
	k.t.Helper()
	resp, err := (&http.Client{Transport: k.tr}).Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		k.t.Fatalf("%s: %s %v", req.URL, resp.Status, err)
	}
	return b
}

func (k *kindsRegistry) ref(s string) name.Reference {
	k.t.Helper()
	r, err := name.ParseReference(k.reg.Host+"/"+s, name.Insecure)
	if err != nil {
		k.t.Fatal(err)
	}
	return r
}

// ggcrDescriptor is go-containerregistry's own read of a reference.
func (k *kindsRegistry) ggcrDescriptor(s string) *remote.Descriptor {
	k.t.Helper()
	d, err := remote.Get(k.ref(s), remote.WithTransport(k.tr))
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

// entry finds the digest of the index entry pred selects, as
// go-containerregistry lists the entries of the index at s.
func (k *kindsRegistry) entry(s string, pred func(v1.Descriptor) bool) string {
	k.t.Helper()
	idx, err := k.ggcrDescriptor(s).ImageIndex()
	if err != nil {
		k.t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		k.t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if pred(d) {
			return d.Digest.String()
		}
	}
	k.t.Fatalf("no entry of %s matches", s)
	return ""
}

// linuxPlatform selects the index entry for linux/arch[/variant].
func linuxPlatform(arch, variant string) func(v1.Descriptor) bool {
	return func(d v1.Descriptor) bool {
		return d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == arch && d.Platform.Variant == variant
	}
}

func stringOrNull(s string) knownvalue.Check {
	if s == "" {
		return knownvalue.Null()
	}
	return knownvalue.StringExact(s)
}

func mapChecks(m map[string]string) knownvalue.Check {
	checks := map[string]knownvalue.Check{}
	for k, v := range m {
		checks[k] = knownvalue.StringExact(v)
	}
	return knownvalue.MapExact(checks)
}

// expected reads repo:tag back independently, as the bytes served and
// go-containerregistry's reading of them: what a data source reading it must
// hold, with a platform that chooses the image at childDigest ("" for none).
func (k *kindsRegistry) expected(repo, tag, childDigest string) manifestWant {
	t := k.t
	t.Helper()
	raw := k.served(repo, tag)
	desc := k.ggcrDescriptor(repo + ":" + tag)
	if desc.Digest.String() != sha256Of(raw) {
		t.Fatalf("%s:%s: go-containerregistry reads digest %s, the bytes served hash to %s", repo, tag, desc.Digest, sha256Of(raw))
	}
	c := &manifestContent{entries: []knownvalue.Check{}}
	want := manifestWant{
		registry: k.reg.Host, repository: repo, tag: tag,
		manifest: pushed{digest: sha256Of(raw), mediaType: string(desc.MediaType), raw: raw},
		content:  c,
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		want.annotations, c.artifactType = im.Annotations, im.ArtifactType
		if im.Subject != nil {
			c.subjectDigest = im.Subject.Digest.String()
		}
		for _, e := range im.Manifests {
			p := v1.Platform{}
			if e.Platform != nil {
				p = *e.Platform
			}
			c.entries = append(c.entries, knownvalue.ObjectExact(map[string]knownvalue.Check{
				"digest":     knownvalue.StringExact(e.Digest.String()),
				"media_type": knownvalue.StringExact(string(e.MediaType)),
				"size":       knownvalue.Int64Exact(e.Size),
				"platform": knownvalue.ObjectExact(map[string]knownvalue.Check{
					"os": stringOrNull(p.OS), "architecture": stringOrNull(p.Architecture),
					"variant": stringOrNull(p.Variant), "os_version": stringOrNull(p.OSVersion),
				}),
				"annotations": mapChecks(e.Annotations),
			}))
		}
	} else {
		img, err := desc.Image()
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		want.annotations, c.artifactType = m.Annotations, m.ArtifactType
		if m.Subject != nil {
			c.subjectDigest = m.Subject.Digest.String()
		}
		childDigest = desc.Digest.String()
	}
	if childDigest != "" {
		c.image = k.expectedImage(repo, childDigest)
	}
	return want
}

// expectedImage reads the image at repo@digest back as expected does.
func (k *kindsRegistry) expectedImage(repo, digest string) *imageWant {
	t := k.t
	t.Helper()
	raw := k.served(repo, digest)
	if sha256Of(raw) != digest {
		t.Fatalf("%s@%s: the image served hashes to %s", repo, digest, sha256Of(raw))
	}
	img, err := remote.Image(k.ref(repo+"@"+digest), remote.WithTransport(k.tr))
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Of(k.blob(repo, m.Config.Digest.String())); got != m.Config.Digest.String() {
		t.Fatalf("%s@%s: the config served hashes to %s, not %s", repo, digest, got, m.Config.Digest)
	}
	layers := []knownvalue.Check{}
	for _, l := range m.Layers {
		layers = append(layers, knownvalue.ObjectExact(map[string]knownvalue.Check{
			"digest":      knownvalue.StringExact(l.Digest.String()),
			"media_type":  knownvalue.StringExact(string(l.MediaType)),
			"size":        knownvalue.Int64Exact(l.Size),
			"annotations": mapChecks(l.Annotations),
		}))
	}
	// The config is read only when it is an image config; an artifact's
	// os, architecture, variant and created are null and its labels empty.
	var cf v1.ConfigFile
	if m.Config.MediaType == types.OCIConfigJSON || m.Config.MediaType == types.DockerConfigJSON {
		c, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = *c
	}
	created := ""
	if !cf.Created.IsZero() {
		created = cf.Created.Format(time.RFC3339Nano)
	}
	return &imageWant{
		digest: digest, mediaType: string(mt),
		configDigest: m.Config.Digest.String(), configMediaType: string(m.Config.MediaType),
		layers: layers,
		os:     cf.OS, architecture: cf.Architecture, variant: cf.Variant, created: created,
		labels: cf.Config.Labels,
	}
}

// TestAccManifest_Kinds is the differential test: for every manifest kind,
// with and without platform, every attribute equals what the registry served
// and what go-containerregistry computes for the same object. It also covers
// platform selection (arm64 is arm64/v8 both ways, arm is arm/v7, nested
// indexes, never the attestation entry) and the platform errors.
func TestAccManifest_Kinds(t *testing.T) {
	// Two documents no push tool writes, served in front of the registry: a
	// manifest that is both index and image (CVE-2021-41190), and an index
	// whose linux/ppc64le entry is a Docker schema 1 manifest.
	ambiguous := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",` +
		`"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":2}],` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:` + strings.Repeat("b", 64) + `","size":2}]}`
	legacy := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
		`{"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws","digest":"sha256:` + strings.Repeat("c", 64) + `","size":2,` +
		`"platform":{"os":"linux","architecture":"ppc64le"}}]}`
	serve := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w.Header().Set("Docker-Content-Digest", sha256Of([]byte(body)))
			_, _ = io.WriteString(w, body)
		}
	}
	reg := registrytest.New(t, registrytest.Options{Wrap: func(h http.Handler) http.Handler {
		// Any method: a registry answers HEAD as it answers GET.
		h = registrytest.Fault(registrytest.Match("", "/v2/kinds/ambiguous/manifests/"), serve(ambiguous))(h)
		return registrytest.Fault(registrytest.Match("", "/v2/kinds/legacy/manifests/"), serve(legacy))(h)
	}})
	k := &kindsRegistry{t: t, reg: reg, tr: reg.HTTPTransport()}
	t.Cleanup(k.tr.CloseIdleConnections)
	k.pushKinds()
	h := reg.Host

	innerDigest := k.entry("kinds/nested:1", func(d v1.Descriptor) bool { return d.MediaType.IsIndex() })
	cases := []struct {
		name, repo, platform string
		child                string // digest of the image chosen; "" for an index without platform
	}{
		{"oci", "kinds/oci", "", ""},
		{"oci_own_platform", "kinds/oci", "linux/amd64", ""},
		{"docker", "kinds/docker", "", ""},
		{"list", "kinds/list", "", ""},
		{"list_arm64", "kinds/list", "linux/arm64", k.entry("kinds/list:1", linuxPlatform("arm64", "v8"))},
		{"index", "kinds/index", "", ""},
		{"index_amd64", "kinds/index", "linux/amd64", k.entry("kinds/index:1", linuxPlatform("amd64", ""))},
		{"index_arm64_v8", "kinds/index", "linux/arm64/v8", k.entry("kinds/index:1", linuxPlatform("arm64", ""))},
		{"artifact", "kinds/artifact", "", ""},
		{"nested", "kinds/nested", "", ""},
		{"nested_arm_v6", "kinds/nested", "linux/arm/v6", k.entry("kinds/nested@"+innerDigest, linuxPlatform("arm", "v6"))},
		{"nested_arm", "kinds/nested", "linux/arm", k.entry("kinds/nested@"+innerDigest, linuxPlatform("arm", "v7"))},
	}
	var config strings.Builder
	config.WriteString(providerConfig(""))
	var checks []statecheck.StateCheck
	for _, c := range cases {
		tag := "1"
		if c.repo == "kinds/artifact" {
			tag = "sbom"
		}
		config.WriteString(manifestWithPlatform(c.name, h+"/"+c.repo+":"+tag, c.platform))
		checks = append(checks, k.expected(c.repo, tag, c.child).checks("data.imageinfo_manifest."+c.name)...)
	}

	step := func(ref, platform, want string) resource.TestStep {
		return resource.TestStep{
			Config:      providerConfig("") + manifestWithPlatform("x", ref, platform),
			ExpectError: wrapped(want),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		// The failing steps come first: the last step's configuration is
		// the one destroyed at the end.
		Steps: []resource.TestStep{
			// Caught at validate time.
			step(h+"/kinds/oci:1", "linux", `Invalid Platform.*is not os/arch\[/variant\]`),
			// No entry for the platform: the diagnostic lists what exists,
			// nested entries included, never the attestation.
			step(h+"/kinds/index:1", "linux/s390x", `No Matching Platform.*repository "kinds/index", tag "1": no image for platform linux/s390x in this index: it offers linux/amd64, linux/arm64 \(attestation`),
			step(h+"/kinds/nested:1", "linux/arm/v5", `No Matching Platform.*it offers linux/amd64, linux/arm/v6, linux/arm/v7 \(`),
			step(h+"/kinds/index:1", "unknown/unknown", `No Matching Platform.*it offers linux/amd64, linux/arm64 \(`),
			// Kinds the provider does not read say what they are.
			step(h+"/kinds/ambiguous:1", "", `Malformed Registry Response.*repository "kinds/ambiguous".*both "manifests" and "layers"/"config", so it is ambiguous`),
			step(h+"/kinds/legacy:1", "linux/ppc64le", `Unsupported Manifest.*index entry sha256:c+ \(linux/ppc64le\): this is a Docker schema 1 manifest`),
			step(h+"/kinds/legacy:1", "linux/amd64", `No Matching Platform.*it offers linux/ppc64le \(`),
			// A single image: what it is.
			step(h+"/kinds/oci:1", "linux/arm64", `No Matching Platform.*the reference is a single-platform image for linux/amd64`),
			step(h+"/kinds/artifact:sbom", "linux/amd64", `No Matching Platform.*the reference is an artifact \(artifact type application/spdx\+json\)`),
			{Config: config.String(), ConfigStateChecks: checks},
		},
	})
}
