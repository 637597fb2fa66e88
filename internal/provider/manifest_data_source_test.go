package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

const (
	testUser     = "alice"
	testPassword = "alice-s3cret-pw-7f3a"
)

type pushed struct {
	digest    string
	mediaType string
	raw       []byte
}

func describeImage(t *testing.T, img v1.Image) pushed {
	t.Helper()
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return pushed{d.String(), string(mt), raw}
}

func describeIndex(t *testing.T, idx v1.ImageIndex) pushed {
	t.Helper()
	raw, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := idx.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return pushed{d.String(), string(mt), raw}
}

// expectManifest checks every attribute of one data source against what
// go-containerregistry computed for the pushed content.
func expectManifest(addr, registry, repository string, tag knownvalue.Check, p pushed, annotations map[string]knownvalue.Check) []statecheck.StateCheck {
	at := func(attr string) tfjsonpath.Path { return tfjsonpath.New(attr) }
	if annotations == nil {
		annotations = map[string]knownvalue.Check{}
	}
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, at("registry"), knownvalue.StringExact(registry)),
		statecheck.ExpectKnownValue(addr, at("repository"), knownvalue.StringExact(repository)),
		statecheck.ExpectKnownValue(addr, at("tag"), tag),
		statecheck.ExpectKnownValue(addr, at("digest"), knownvalue.StringExact(p.digest)),
		statecheck.ExpectKnownValue(addr, at("media_type"), knownvalue.StringExact(p.mediaType)),
		statecheck.ExpectKnownValue(addr, at("size"), knownvalue.Int64Exact(int64(len(p.raw)))),
		statecheck.ExpectKnownValue(addr, at("pinned_reference"), knownvalue.StringExact(registry+"/"+repository+"@"+p.digest)),
		statecheck.ExpectKnownValue(addr, at("manifest_json"), knownvalue.StringExact(string(p.raw))),
		statecheck.ExpectKnownValue(addr, at("annotations"), knownvalue.MapExact(annotations)),
	}
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
	app := describeImage(t, img)
	latestImg, err := reg.PushImage(ctx, "team/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	latest := describeImage(t, latestImg)
	dockerImg, err := reg.PushImage(ctx, "team/app:docker", registrytest.WithMediaType(registrytest.Docker))
	if err != nil {
		t.Fatal(err)
	}
	docker := describeImage(t, dockerImg)
	idx, err := reg.PushIndex(ctx, "team/multi:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}})
	if err != nil {
		t.Fatal(err)
	}
	multi := describeIndex(t, idx)
	dockerIdx, err := reg.PushIndex(ctx, "team/multi:docker", []v1.Platform{{OS: "linux", Architecture: "amd64"}}, registrytest.WithMediaType(registrytest.Docker))
	if err != nil {
		t.Fatal(err)
	}
	dockerList := describeIndex(t, dockerIdx)

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
	var checks []statecheck.StateCheck
	revision := map[string]knownvalue.Check{"org.opencontainers.image.revision": knownvalue.StringExact("abc123")}
	checks = append(checks, expectManifest("data.imageinfo_manifest.name", h, "team/app", knownvalue.StringExact("latest"), latest, nil)...)
	checks = append(checks, expectManifest("data.imageinfo_manifest.tag", h, "team/app", knownvalue.StringExact("1"), app, revision)...)
	checks = append(checks, expectManifest("data.imageinfo_manifest.digest", h, "team/app", knownvalue.Null(), app, revision)...)
	// The digest wins over the tag, as in Docker; the tag is still reported.
	checks = append(checks, expectManifest("data.imageinfo_manifest.tag_digest", h, "team/app", knownvalue.StringExact("docker"), app, revision)...)
	checks = append(checks, expectManifest("data.imageinfo_manifest.index", h, "team/multi", knownvalue.StringExact("1"), multi, nil)...)
	checks = append(checks, expectManifest("data.imageinfo_manifest.docker", h, "team/app", knownvalue.StringExact("docker"), docker, nil)...)
	checks = append(checks, expectManifest("data.imageinfo_manifest.list", h, "team/multi", knownvalue.StringExact("docker"), dockerList, nil)...)

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
	tools := describeImage(t, img)
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            providerConfig("") + manifestConfig(map[string]string{"tools": h + "/public/tools:1"}),
				ConfigStateChecks: expectManifest("data.imageinfo_manifest.tools", h, "public/tools", knownvalue.StringExact("1"), tools, nil),
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
	app := describeImage(t, img)
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config: providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q(testPassword))) +
					manifestConfig(map[string]string{"app": h + "/team/app:1"}),
				ConfigStateChecks: expectManifest("data.imageinfo_manifest.app", h, "team/app", knownvalue.StringExact("1"), app, nil),
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

func countAuth(reqs []registrytest.Request, scheme string) int {
	n := 0
	for _, r := range reqs {
		if r.AuthScheme == scheme {
			n++
		}
	}
	return n
}

// fetchToken gets a pull token from the token server the way a user's own
// tooling would, for the `token` attribute.
func fetchToken(t *testing.T, reg *registrytest.Registry, repo string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, reg.TokenURL+"?service="+registrytest.Service+"&scope=repository:"+repo+":pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"token":"([^"]+)"`).FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("token server: %d %s", resp.StatusCode, body)
	}
	return string(m[1])
}

// TestAccManifest_StaticToken sends a configured token as is: the provider
// never asks the token server for one.
func TestAccManifest_StaticToken(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{testUser: testPassword}})
	img, err := reg.PushImage(context.Background(), "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	app := describeImage(t, img)
	token := fetchToken(t, reg, "team/app")
	reg.TokenRequests.Reset()
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            providerConfig("", registryBlock("address", q(h), "token", q(token))) + manifestConfig(map[string]string{"app": h + "/team/app:1"}),
			ConfigStateChecks: expectManifest("data.imageinfo_manifest.app", h, "team/app", knownvalue.StringExact("1"), app, nil),
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
	app := describeImage(t, img)
	h := reg.Host
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:            providerConfig("", registryBlock("address", q(h), "username", q(testUser), "password", q(testPassword))) + manifestConfig(map[string]string{"app": h + "/team/app:1"}),
			ConfigStateChecks: expectManifest("data.imageinfo_manifest.app", h, "team/app", knownvalue.StringExact("1"), app, nil),
		}},
	})
}

// TestAccManifest_TLS reaches a registry whose certificate comes from a
// private CA: trusted through ca_cert_pem, refused without it, accepted with
// skip_tls_verify.
func TestAccManifest_TLS(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: map[string]string{testUser: testPassword}})
	img, err := reg.PushImage(context.Background(), "team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	app := describeImage(t, img)
	h := reg.Host
	creds := []string{"address", q(h), "username", q(testUser), "password", q(testPassword)}
	data := manifestConfig(map[string]string{"app": h + "/team/app:1"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:            providerConfig("", registryBlock(append(creds, "ca_cert_pem", heredoc(strings.TrimSpace(string(reg.CAPEM))))...)) + data,
				ConfigStateChecks: expectManifest("data.imageinfo_manifest.app", h, "team/app", knownvalue.StringExact("1"), app, nil),
			},
			{
				Config:      providerConfig("", registryBlock(creds...)) + data,
				ExpectError: regexp.MustCompile(`(?s)Registry TLS Error.*ca_cert_pem`),
			},
			{
				Config:            providerConfig("", registryBlock(append(creds, "skip_tls_verify", "true")...)) + data,
				ConfigStateChecks: expectManifest("data.imageinfo_manifest.app", h, "team/app", knownvalue.StringExact("1"), app, nil),
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
				Config:      providerConfig("") + manifestConfig(map[string]string{"x": "https://" + h + "/team/app"}),
				ExpectError: regexp.MustCompile(`(?s)Invalid Image Reference.*URL scheme`),
			},
		},
	})
	if n := len(reg.Requests.All()); n != 0 {
		t.Errorf("the registry received %d requests for invalid references; validation must need no network", n)
	}
}

// TestAccProvider_ConfigValidation covers the provider configuration rules.
func TestAccProvider_ConfigValidation(t *testing.T) {
	data := manifestConfig(map[string]string{"x": "127.0.0.1:1/never/read:1"})
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{Config: config + data, ExpectError: regexp.MustCompile(want)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			step(providerConfig("", registryBlock("address", q("ghcr.io/org"))), `(?s)Invalid Registry Address.*includes the path "/org"`),
			step(providerConfig("", registryBlock("address", q("ghcr.io"), "username", q("u"))), `(?s)Incomplete Registry Credentials.*password`),
			step(providerConfig("", registryBlock("address", q("ghcr.io"), "password", q("p"))), `(?s)Incomplete Registry Credentials.*username`),
			step(providerConfig("", registryBlock("address", q("ghcr.io"), "username", q("u"), "password", q("p"), "token", q("t"))), `Conflicting Registry Credentials`),
			step(providerConfig("", registryBlock("address", q("ghcr.io"), "insecure", "true", "skip_tls_verify", "true")), `Conflicting TLS Settings`),
			step(providerConfig("", registryBlock("address", q("ghcr.io"), "ca_cert_pem", q("not a cert"))), `(?s)Invalid Certificate PEM.*No PEM-encoded certificate`),
			step(providerConfig("", registryBlock("address", q("docker.io")), registryBlock("address", q("https://index.docker.io/v1/"))), `(?s)Duplicate Registry Block.*"docker.io"`),
			step(providerConfig("  timeout = \"soon\"\n"), `(?s)Invalid Duration.*not a duration`),
			step(providerConfig("  max_retries = 99\n"), `max_retries`),
		},
	})
}

// TestAccProvider_UnknownConfig: a provider setting only known after apply
// fails the reads that need it, with a diagnostic that names the setting.
func TestAccProvider_UnknownConfig(t *testing.T) {
	config := `
resource "terraform_data" "pw" {
  input = "later"
}
` + providerConfig("", registryBlock("address", q("127.0.0.1:1"), "username", q("u"), "password", "terraform_data.pw.output")) +
		manifestConfig(map[string]string{"x": "127.0.0.1:1/never/read:1"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: regexp.MustCompile(`(?s)Provider Configuration Not Known Yet.*registry\[0\]\.password`),
		}},
	})
}
