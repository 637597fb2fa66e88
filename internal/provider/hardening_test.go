package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"go.uber.org/goleak"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// The hardening tests drive the provider through Terraform against
// registries that misbehave the way hostile or broken ones do (issue 7), and
// check three things for each fault: the outcome (a diagnostic of the right
// class, or a correct read), that no credential reached a server it must not
// (every server records what it received), and that no secret appears in a
// diagnostic, in state, or in the TRACE logs of Terraform and the provider.

const (
	hardUser = "hardy"
	hardPass = "hardening-pw-3f9e1c"
	// maxWritten bounds what a server streaming an endless body may have
	// written before the client stopped reading: the limits are 64 KiB to
	// 4 MiB, and the rest is what socket buffers hold. A client that read
	// such a body whole would read until the timeout, gigabytes on loopback.
	maxWritten = 64 << 20
	// noCache keeps every read on the network, where the faults are.
	noCache = "  cache_dir = \"\"\n"
)

// TestAccHardening runs every fault of issue 7 through Terraform, in a child
// process whose HTTP_PROXY and HTTPS_PROXY point at a proxy that forwards
// nothing: loopback is never proxied, so the registries are reached, and
// anything else (a metadata address, should a protection break) ends at the
// proxy, recorded, instead of leaving the machine. Every Terraform and
// provider log line is captured at TRACE and searched for the secrets at the
// end, and no goroutine may outlive the test.
func TestAccHardening(t *testing.T) {
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: set %s=1", resource.EnvTfAcc)
	}
	if !inChild(t) {
		return
	}
	before := goleak.IgnoreCurrent()
	// Registered first, so it runs last: after every server has closed.
	// go-plugin copies the in-process provider's stdout and stderr until
	// the test binary exits: the harness's, not the provider's.
	t.Cleanup(func() {
		goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/hashicorp/go-plugin.copyChan"))
	})

	proxy := registrytest.NewRefusingProxy(t)
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(v, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	logs := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logs, "%s.log"))
	// The test harness logs each step's configuration verbatim, secrets and
	// all: that is the test's own input, not something the provider says.
	t.Setenv("TF_LOG_SDK_HELPER_RESOURCE", "OFF")

	secrets := &registrytest.Secrets{}
	for _, s := range []string{hardPass, basicAuth(hardUser, hardPass)} {
		secrets.Add(s)
	}
	t.Run("CredentialsStayHome", func(t *testing.T) { hardeningCredentials(t, secrets) })
	t.Run("ContentIsChecked", func(t *testing.T) { hardeningContent(t, secrets) })
	t.Run("FaultsEndInTime", func(t *testing.T) { hardeningFaults(t, secrets) })
	t.Run("CredentialKinds", func(t *testing.T) { hardeningCredentialKinds(t, secrets) })

	for _, target := range proxy.Targets() {
		t.Errorf("the provider tried to leave the machine: %s asked for %s", proxy, target)
	}
	for _, s := range secrets.All() {
		if proxy.Requests.SawSecret(s) {
			t.Errorf("a secret (%s) reached the %s", mask(s), proxy)
		}
	}
	checkLogs(t, logs, secrets.All())
}

// mask shows enough of a secret to tell which one it is.
func mask(s string) string {
	if len(s) <= 6 {
		return "…"
	}
	return s[:6] + "…"
}

// failures checks the steps that must fail: each expected diagnostic is
// found by the repository it names and matched, white space normalised
// (Terraform wraps lines), and no secret may appear anywhere in the output.
// It is a TestCase.ErrorCheck: that sees the whole error, where ExpectError
// can only match one pattern.
type failures struct {
	secrets *registrytest.Secrets
	mu      sync.Mutex
	want    []diagWant
	pending bool
}

type diagWant struct {
	repository string
	patterns   []string
	// maxLen bounds the diagnostic's length (normalised), 0 for none.
	maxLen int
	// absent lists strings the diagnostic must not hold.
	absent []string
}

// expectDiag expects a diagnostic naming repository that matches every pattern.
func expectDiag(repository string, patterns ...string) diagWant {
	return diagWant{repository: repository, patterns: patterns}
}

func (f *failures) step(config string, want ...diagWant) resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.want, f.pending = want, true
		},
		Config: config,
		Check: func(*terraform.State) error {
			return fmt.Errorf("the step succeeded; it should have failed for %d data sources", len(want))
		},
	}
}

func (f *failures) check(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.pending {
		return err
	}
	f.pending = false
	msg := err.Error()
	for _, s := range f.secrets.All() {
		if strings.Contains(msg, s) {
			return fmt.Errorf("a diagnostic shows a secret (%s): %w", mask(s), err)
		}
	}
	diags := splitDiagnostics(msg)
	for _, w := range f.want {
		d := ""
		for _, c := range diags {
			if strings.Contains(c, `"`+w.repository+`"`) {
				d = c
				break
			}
		}
		if d == "" {
			return fmt.Errorf("no diagnostic names repository %q: %w", w.repository, err)
		}
		for _, p := range w.patterns {
			if !regexp.MustCompile(p).MatchString(d) {
				return fmt.Errorf("the diagnostic for %q does not match %q:\n%s", w.repository, p, d)
			}
		}
		for _, a := range w.absent {
			if strings.Contains(d, a) {
				return fmt.Errorf("the diagnostic for %q holds %q:\n%s", w.repository, a, d)
			}
		}
		if w.maxLen > 0 && len(d) > w.maxLen {
			return fmt.Errorf("the diagnostic for %q is %d bytes long, more than %d:\n%s", w.repository, len(d), w.maxLen, d)
		}
	}
	return nil
}

// splitDiagnostics cuts Terraform's error output into one string per
// diagnostic, with all white space runs made single spaces.
func splitDiagnostics(msg string) []string {
	var out []string
	for _, part := range regexp.MustCompile(`(?m)^\s*(?:│\s*)?Error: `).Split(msg, -1) {
		out = append(out, strings.Join(strings.Fields(strings.ReplaceAll(part, "│", " ")), " "))
	}
	return out
}

// noSecretsInState fails when any attribute in state holds a secret.
func noSecretsInState(secrets *registrytest.Secrets) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, m := range s.Modules {
			for addr, r := range m.Resources {
				if r.Primary == nil {
					continue
				}
				for k, v := range r.Primary.Attributes {
					for _, sec := range secrets.All() {
						if strings.Contains(v, sec) {
							return fmt.Errorf("%s.%s holds a secret (%s)", addr, k, mask(sec))
						}
					}
				}
			}
		}
		return nil
	}
}

// hardeningCase runs steps with a failures checker, the last step reading
// successfully so that the final destroy has a configuration that works.
func hardeningCase(t *testing.T, f *failures, steps ...resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		ErrorCheck:               f.check,
		Steps:                    steps,
	})
}

// okStep reads config successfully, checks state and finds no secret in it.
func okStep(secrets *registrytest.Secrets, config string, checks ...statecheck.StateCheck) resource.TestStep {
	return resource.TestStep{Config: config, ConfigStateChecks: checks, Check: noSecretsInState(secrets)}
}

func digestIs(name, digest string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.imageinfo_manifest."+name, tfjsonpath.New("digest"), knownvalue.StringExact(digest))
}

// tlsBlock is a registry block for a TLS registry: its CA and attrs.
func tlsBlock(reg *registrytest.Registry, attrs ...string) string {
	return registryBlock(append([]string{"address", q(reg.Host), "ca_cert_pem", heredoc(strings.TrimSpace(string(reg.CAPEM)))}, attrs...)...)
}

var hardCreds = []string{"username", q(hardUser), "password", q(hardPass)}

func port(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

// realmAt makes a registry's challenges name the realm *o + "/token", read
// when a request comes: the realm's server needs the registry to exist.
func realmAt(o **registrytest.Origin) func(http.Handler) http.Handler {
	return registrytest.RewriteChallenge(func(v string) string { return registrytest.RealmTo((*o).URL + "/token")(v) })
}

// authSeen records the Authorization values requests carried.
type authSeen struct {
	mu     sync.Mutex
	values []string
}

func (a *authSeen) add(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.values = append(a.values, r.Header.Get("Authorization"))
}

func (a *authSeen) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.values...)
}

func manifestHeader(p pushed) http.Header {
	return http.Header{"Content-Type": {p.mediaType}, "Docker-Content-Digest": {p.digest}}
}

func push(t *testing.T, reg *registrytest.Registry, refs ...string) (pushed, []byte) {
	t.Helper()
	var p pushed
	var cfg []byte
	for _, ref := range refs {
		img, err := reg.PushImage(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		p = describePushed(t, img)
		if cfg, err = img.RawConfigFile(); err != nil {
			t.Fatal(err)
		}
	}
	return p, cfg
}

func exactPath(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
}

// hardeningCredentials: where credentials may go. Redirects to another port,
// host name or scheme, realms on plain HTTP or at a metadata address, a ping
// redirected to plain HTTP and a token server that redirects to plain HTTP
// all fail without the credentials reaching anywhere but the registry and
// its realm; redirects of content to another origin still read, without
// credentials, and a 401 there gets the target's own anonymous token.
func hardeningCredentials(t *testing.T, secrets *registrytest.Secrets) {
	users := map[string]string{hardUser: hardPass}

	// Basic credentials go with every request: the registry a leaking
	// redirect would hurt most.
	var rb *registrytest.Registry
	var blobCfg []byte
	var byName authSeen
	o1 := registrytest.NewOrigin(t, registrytest.OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/blob/") {
			registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/octet-stream"}}, blobCfg)(w, r)
			return
		}
		registrytest.Challenge(`Basic realm="elsewhere"`)(w, r)
	}))
	rb = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: users, Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case strings.HasPrefix(r.Host, "localhost:"):
				byName.add(r)
				next.ServeHTTP(w, r)
			case strings.HasPrefix(p, "/v2/cred/otherport/manifests/"):
				registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o1.URL + r.URL.Path })(w, r)
			case strings.HasPrefix(p, "/v2/cred/othername/manifests/"):
				registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return "http://localhost:" + port(rb.Host) + r.URL.Path })(w, r)
			case strings.HasPrefix(p, "/v2/cred/blob/blobs/"):
				registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o1.URL + "/blob" + r.URL.Path })(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}})
	push(t, rb, "cred/otherport:1", "cred/othername:1")
	blob, cfg := push(t, rb, "cred/blob:1")
	blobCfg = cfg

	// Bearer: the redirect target answers 401 with a challenge of its own.
	const crossToken = "cross-host-anonymous-token"
	var crosshost pushed
	var o3 *registrytest.Origin
	o3 = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"token":"`+crossToken+`"}`))(w, r)
		case r.Header.Get("Authorization") == "Bearer "+crossToken:
			registrytest.Serve(http.StatusOK, manifestHeader(crosshost), crosshost.raw)(w, r)
		default:
			registrytest.Challenge(`Bearer realm="`+o3.URL+`/token",service="elsewhere"`)(w, r)
		}
	}))
	var rtRealm *registrytest.Origin
	rt := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users, Wrap: func(next http.Handler) http.Handler {
		next = registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/cred/crosshost/manifests/"),
			registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o3.URL + r.URL.Path }))(next)
		return realmAt(&rtRealm)(next)
	}})
	rtRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, rt, nil, secrets))
	crosshost, _ = push(t, rt, "cred/crosshost:1")

	// HTTPS: a redirect to plain HTTP, with the right content waiting there,
	// and a blob redirected to HTTPS on another port.
	var downgrade pushed
	var tlsCfg []byte
	o4 := registrytest.NewOrigin(t, registrytest.OriginOptions{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registrytest.Serve(http.StatusOK, manifestHeader(downgrade), downgrade.raw)(w, r)
	}))
	var o5 *registrytest.Origin
	rs := registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: users, Wrap: func(next http.Handler) http.Handler {
		next = registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/cred/downgrade/manifests/"),
			registrytest.Redirect(http.StatusFound, func(r *http.Request) string { return o4.URL + r.URL.Path }))(next)
		return registrytest.Fault(registrytest.Match(http.MethodGet, "/v2/cred/tlsblob/blobs/"),
			registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return o5.URL + r.URL.Path }))(next)
	}})
	o5 = registrytest.NewOrigin(t, registrytest.OriginOptions{TLSFrom: rs}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"application/octet-stream"}}, tlsCfg)(w, r)
	}))
	downgrade, _ = push(t, rs, "cred/downgrade:1")
	tlsblob, cfg := push(t, rs, "cred/tlsblob:1")
	tlsCfg = cfg

	// HTTPS registries whose realm is on plain HTTP, at a metadata address,
	// reached after a ping redirected to plain HTTP, or redirecting there.
	var httpRealm, pingRealm, pingTarget, redirectingRealm, redirectedRealm *registrytest.Origin
	tlsToken := func(wrap func(http.Handler) http.Handler) *registrytest.Registry {
		return registrytest.New(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken, Users: users, Wrap: wrap})
	}
	rh := tlsToken(realmAt(&httpRealm))
	httpRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, rh, nil, secrets))
	rm := tlsToken(registrytest.RewriteChallenge(registrytest.RealmTo("https://169.254.169.254/latest/meta-data/token")))
	rp := tlsToken(registrytest.Fault(exactPath(http.MethodGet, "/v2/"),
		registrytest.Redirect(http.StatusFound, func(*http.Request) string { return pingTarget.URL + "/v2/" })))
	pingRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, rp, nil, secrets))
	pingTarget = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"},
		registrytest.Challenge(`Bearer realm="`+pingRealm.URL+`/token",service="`+registrytest.Service+`"`))
	rr := tlsToken(realmAt(&redirectingRealm))
	redirectedRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, rr, nil, secrets))
	redirectingRealm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost", TLSFrom: rr},
		registrytest.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string { return redirectedRealm.URL + "/token?" + r.URL.RawQuery }))
	push(t, rh, "cred/httprealm:1")
	push(t, rm, "cred/metadata:1")
	push(t, rp, "cred/pingdowngrade:1")
	push(t, rr, "cred/realmredirect:1")

	blocks := []string{
		registryBlock(append([]string{"address", q(rb.Host)}, hardCreds...)...),
		registryBlock(append([]string{"address", q(rt.Host)}, hardCreds...)...),
		tlsBlock(rs, hardCreds...), tlsBlock(rh, hardCreds...), tlsBlock(rm, hardCreds...), tlsBlock(rp, hardCreds...), tlsBlock(rr, hardCreds...),
		// A block's TLS settings stay with its host:port (issue 12): rs's token
		// server, the HTTPS blob target and rr's redirecting realm, elsewhere with
		// certificates from those registries' CAs, each get a block of their own.
		caBlock(rs, rs.TokenHost()), caBlock(rs, o5.Host), caBlock(rr, redirectingRealm.Host),
	}
	f := &failures{secrets: secrets}
	// Checked even when a step fails: what reached where matters most then.
	defer func() {

		for _, r := range o1.Requests.All() {
			if r.HasAuthorization {
				t.Errorf("the server on another port received %s credentials at %s", r.AuthScheme, r.Path)
			}
		}
		// The rest needs the successful step to have run.
		stepsRan := !t.Failed()
		if stepsRan && len(o1.Requests.All()) == 0 {
			t.Error("nothing was redirected to the server on another port: the test proves nothing")
		}
		for _, a := range byName.all() {
			if a != "" {
				t.Errorf("the registry under another name (localhost) received credentials: %s", strings.Fields(a)[0])
			}
		}
		if stepsRan && len(byName.all()) == 0 {
			t.Error("nothing was redirected to the registry's other name: the test proves nothing")
		}
		for _, r := range o3.Requests.All() {
			if r.Path == "/token" && r.HasAuthorization {
				t.Errorf("the redirect target's realm received %s credentials", r.AuthScheme)
			}
		}
		for _, s := range secrets.All() {
			for name, o := range map[string]*registrytest.Origin{"redirect target (bearer)": o3, "redirect target (other port)": o1, "HTTPS blob target": o5} {
				if o.Requests.SawSecret(s) {
					t.Errorf("the %s received a secret (%s)", name, mask(s))
				}
			}
		}
		if stepsRan && o3.Requests.Count(http.MethodGet, "/token") == 0 {
			t.Error("the redirect target's own challenge was never answered: the test proves nothing")
		}
		for name, o := range map[string]*registrytest.Origin{
			"plain-HTTP redirect target of an HTTPS registry": o4,
			"plain-HTTP realm of an HTTPS registry":           httpRealm,
			"plain-HTTP ping target of an HTTPS registry":     pingTarget,
			"realm of a downgraded ping":                      pingRealm,
			"plain-HTTP target of a realm's redirect":         redirectedRealm,
		} {
			if n := len(o.Requests.All()); n != 0 {
				t.Errorf("the %s received %d requests", name, n)
			}
			for _, s := range secrets.All() {
				if o.Requests.SawSecret(s) {
					t.Errorf("the %s received a secret (%s)", name, mask(s))
				}
			}
		}
		for _, r := range o5.Requests.All() {
			if r.HasAuthorization {
				t.Errorf("the HTTPS blob target on another port received %s credentials", r.AuthScheme)
			}
		}
	}()
	hardeningCase(t, f,
		f.step(providerConfig(noCache, blocks...)+manifestConfig(map[string]string{
			"otherport":     rb.Host + "/cred/otherport:1",
			"othername":     rb.Host + "/cred/othername:1",
			"downgrade":     rs.Host + "/cred/downgrade:1",
			"httprealm":     rh.Host + "/cred/httprealm:1",
			"metadata":      rm.Host + "/cred/metadata:1",
			"pingdowngrade": rp.Host + "/cred/pingdowngrade:1",
			"realmredirect": rr.Host + "/cred/realmredirect:1",
		}),
			// A 401 from the target of a redirect to another port, or to the
			// registry under another name, is not answered with the
			// registry's credentials: the read fails.
			expectDiag("cred/otherport", `Registry Authentication Failed`),
			expectDiag("cred/othername", `Registry Authentication Failed`),
			// HTTPS never downgrades, not even to the right content.
			expectDiag("cred/downgrade", `Malformed Registry Response`, `never downgrades HTTPS to plain HTTP`),
			// An HTTPS registry never sends credentials to a plain-HTTP
			// realm (go-containerregistry's check), nor to a metadata
			// address (go-containerregistry's and the guard's).
			expectDiag("cred/httprealm", `Malformed Registry Response`, `realm scheme "http" not allowed`),
			expectDiag("cred/metadata", `Malformed Registry Response`, `link-local`),
			// A ping redirected to plain HTTP would make the registry look
			// plain HTTP, and a plain-HTTP realm acceptable.
			expectDiag("cred/pingdowngrade", `Malformed Registry Response`, `never downgrades HTTPS to plain HTTP`),
			expectDiag("cred/realmredirect", `Malformed Registry Response`, `refusing token-server redirect|never downgrades HTTPS`),
		),
		// Content redirected to another origin is read without credentials;
		// a 401 there gets the target's own anonymous token.
		okStep(secrets, providerConfig(noCache, blocks...)+manifestConfig(map[string]string{
			"blob":      rb.Host + "/cred/blob:1",
			"crosshost": rt.Host + "/cred/crosshost:1",
			"tlsblob":   rs.Host + "/cred/tlsblob:1",
		}), digestIs("blob", blob.digest), digestIs("crosshost", crosshost.digest), digestIs("tlsblob", tlsblob.digest)),
	)
}

// hardeningContent: what is believed. A manifest by digest is hashed whatever
// the Content-Type and whatever Docker-Content-Digest says; a tag's body is
// held to Docker-Content-Digest; a malformed digest is refused; an index
// entry and a config are held to their digests; manifests over 4 MiB, and
// token and error bodies of any length, are refused or cut off without
// being read whole; error bodies are shown truncated and without control
// characters.
func hardeningContent(t *testing.T, secrets *registrytest.Secrets) {
	var cl, chunked, errBody, tokenBody, pingBody registrytest.Counter
	var rc *registrytest.Registry
	var a, b pushed
	longHTML := []byte("<html><body>" + strings.Repeat("x", 60<<10) + "</body></html>")
	forged := func(contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {contentType}, "Docker-Content-Digest": {a.digest}}, b.raw)(w, r)
		}
	}
	rules := map[string]http.HandlerFunc{
		// By digest, another manifest's bytes, under a forged header and
		// every kind of Content-Type.
		"/v2/content/ct-oci/manifests/sha256:":    forged("application/vnd.oci.image.manifest.v1+json"),
		"/v2/content/ct-docker/manifests/sha256:": forged("application/vnd.docker.distribution.manifest.v2+json"),
		"/v2/content/ct-index/manifests/sha256:":  forged("application/vnd.oci.image.index.v1+json"),
		"/v2/content/ct-octet/manifests/sha256:":  forged("application/octet-stream"),
		"/v2/content/bigcl/manifests/": registrytest.Endless(http.StatusOK,
			http.Header{"Content-Type": {"application/vnd.oci.image.manifest.v1+json"}, "Content-Length": {fmt.Sprint(5 << 20)}}, &cl),
		"/v2/content/bigchunked/manifests/": registrytest.Endless(http.StatusOK, http.Header{"Content-Type": {"application/vnd.oci.image.manifest.v1+json"}}, &chunked),
		"/v2/content/bigerror/manifests/":   registrytest.Endless(http.StatusNotFound, http.Header{"Content-Type": {"text/html"}}, &errBody),
		"/v2/content/longerror/manifests/":  registrytest.Serve(http.StatusNotFound, http.Header{"Content-Type": {"text/html"}}, longHTML),
		"/v2/content/ctrl/manifests/": registrytest.Serve(http.StatusNotFound, http.Header{"Content-Type": {"text/plain"}},
			[]byte("\x1b]0;owned\x07\x1b[2Jgone")),
	}
	rc = registrytest.New(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		tampered := map[string]http.HandlerFunc{
			// The registry's header, another manifest's body.
			"/v2/content/tagbody/manifests/": registrytest.Tamper(next, func(_ http.Header, _ []byte) []byte { return b.raw }),
			"/v2/content/badheader/manifests/": registrytest.Tamper(next, func(h http.Header, body []byte) []byte {
				h.Set("Docker-Content-Digest", "sha256:not-a-digest")
				return body
			}),
			// An index entry's manifest, one byte longer.
			"/v2/content/index/manifests/sha256:": registrytest.Tamper(next, func(_ http.Header, body []byte) []byte { return append(body, ' ') }),
			// A config of the same length, for another architecture.
			"/v2/content/config/blobs/": registrytest.Tamper(next, func(_ http.Header, body []byte) []byte {
				return bytes.Replace(body, []byte(`"amd64"`), []byte(`"arm64"`), 1)
			}),
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for prefix, h := range rules {
				if strings.HasPrefix(r.URL.Path, prefix) {
					h(w, r)
					return
				}
			}
			for prefix, h := range tampered {
				if strings.HasPrefix(r.URL.Path, prefix) {
					h(w, r)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}})
	// The ct-* repositories are answered by the rules above alone.
	a, _ = push(t, rc, "content/tagbody:1")
	push(t, rc, "content/badheader:1")
	b, _ = push(t, rc, "content/b:1")
	if _, cfg := push(t, rc, "content/config:1"); !bytes.Contains(cfg, []byte(`"amd64"`)) {
		t.Fatalf("the config has no \"amd64\" to tamper with: %s", cfg)
	}
	if _, err := rc.PushIndex(context.Background(), "content/index:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}); err != nil {
		t.Fatal(err)
	}

	// A token server whose answer never ends.
	tokenServer := registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"},
		registrytest.Endless(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, &tokenBody))
	rct := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{hardUser: hardPass},
		Wrap: registrytest.RewriteChallenge(registrytest.RealmTo(tokenServer.URL + "/token"))})
	push(t, rct, "content/token:1")
	// A registry whose 401 to the ping never ends: the challenge is in the
	// headers, and the body must not be read whole to get it.
	var rcp *registrytest.Registry
	rcp = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{hardUser: hardPass},
		Wrap: registrytest.Fault(exactPath(http.MethodGet, "/v2/"), func(w http.ResponseWriter, r *http.Request) {
			registrytest.Endless(http.StatusUnauthorized, http.Header{
				"Content-Type":     {"application/json"},
				"Www-Authenticate": {`Bearer realm="` + rcp.TokenURL + `",service="` + registrytest.Service + `"`},
			}, &pingBody)(w, r)
		})})
	ping, _ := push(t, rcp, "content/ping:1")

	settings := noCache + "  timeout = \"20s\"\n"
	blocks := []string{
		registryBlock(append([]string{"address", q(rct.Host)}, hardCreds...)...),
		registryBlock(append([]string{"address", q(rcp.Host)}, hardCreds...)...),
	}
	refs := map[string]string{"token": rct.Host + "/content/token:1"}
	for _, name := range []string{"ct-oci", "ct-docker", "ct-index", "ct-octet"} {
		refs[strings.ReplaceAll(name, "-", "_")] = rc.Host + "/content/" + name + "@" + a.digest
	}
	for _, name := range []string{"tagbody", "badheader", "config", "bigcl", "bigchunked", "bigerror", "longerror", "ctrl"} {
		refs[name] = rc.Host + "/content/" + name + ":1"
	}
	f := &failures{secrets: secrets}
	want := []diagWant{
		expectDiag("content/tagbody", `Manifest Digest Mismatch`, `but the registry's Docker-Content-Digest header is `+a.digest),
		expectDiag("content/badheader", `Malformed Registry Response`, `Docker-Content-Digest header is not a digest`),
		expectDiag("content/index", `Manifest Digest Mismatch`, `index entry sha256:[0-9a-f]{64} \(linux/arm64\)`),
		expectDiag("content/config", `Manifest Digest Mismatch`, `the blob served hashes to`),
		expectDiag("content/bigcl", `Malformed Registry Response`, `manifest is 5242880 bytes, more than the 4194304 bytes`),
		expectDiag("content/bigchunked", `Malformed Registry Response`, `manifest is more than the 4194304 bytes`),
		// Cut off, the endless error body still says what the status says.
		expectDiag("content/bigerror", `Image Not Found`, `HTTP 404`),
		{repository: "content/longerror", patterns: []string{`Image Not Found`, `more bytes not shown`}, maxLen: 3000},
		// A body's control characters could rewrite the terminal.
		{repository: "content/ctrl", patterns: []string{`Image Not Found`, `gone`}, absent: []string{"\x1b", "\x07"}},
		expectDiag("content/token", `Malformed Registry Response`, `byte limit`),
	}
	for _, name := range []string{"ct-oci", "ct-docker", "ct-index", "ct-octet"} {
		want = append(want, expectDiag("content/"+name, `Manifest Digest Mismatch`, `the manifest served hashes to `+b.digest+`, but the digest requested is `+a.digest))
	}
	var config strings.Builder
	config.WriteString(providerConfig(settings, blocks...))
	for name, ref := range refs {
		config.WriteString(manifestWithPlatform(name, ref, ""))
	}
	config.WriteString(manifestWithPlatform("index", rc.Host+"/content/index:1", "linux/arm64"))
	// Checked even when a step fails: what reached where matters most then.
	defer func() {
		for name, c := range map[string]*registrytest.Counter{"a manifest announced as 5 MiB": &cl, "an endless manifest": &chunked,
			"an endless error body": &errBody, "an endless token body": &tokenBody, "an endless ping body": &pingBody} {
			n := c.Load()
			if n > maxWritten || (n == 0 && !t.Failed()) {
				t.Errorf("the server of %s wrote %d bytes before the client stopped reading; want some, and at most %d", name, n, maxWritten)
			}
			t.Logf("the server of %s wrote %d KiB before the client stopped reading", name, n>>10)
		}
	}()
	hardeningCase(t, f,
		f.step(config.String(), want...),
		okStep(secrets, providerConfig(settings, blocks...)+manifestConfig(map[string]string{"ping": rcp.Host + "/content/ping:1"}), digestIs("ping", ping.digest)),
	)
}

// hardeningFaults: faults end in time. 429 and 503 are retried after the
// Retry-After asked for, in seconds or as an HTTP date; one that asks for
// more than the cap or than the timeout leaves fails at once; a trickling
// body and a stalled token server end at the timeout; token server errors
// and garbage are diagnosed without showing what the server said; a token
// whose expires_in is absent or 1 s is reused for the whole read; a token
// the registry rejects is fetched once more, not in a loop; HEAD refused
// with 403 or 405 falls back to GET.
func hardeningFaults(t *testing.T, secrets *registrytest.Secrets) {
	users := map[string]string{hardUser: hardPass}
	var seconds, date, unavailable, hour, long, head405, head403 registrytest.Stamps
	var trickle pushed
	never := 1 << 30
	manifests := func(repo string) func(*http.Request) bool {
		return registrytest.Match(http.MethodGet, "/v2/faults/"+repo+"/manifests/")
	}
	heads := func(repo string) func(*http.Request) bool {
		return registrytest.Match(http.MethodHead, "/v2/faults/"+repo+"/manifests/")
	}
	rf := registrytest.New(t, registrytest.Options{Wrap: func(next http.Handler) http.Handler {
		for _, w := range []func(http.Handler) http.Handler{
			registrytest.FaultFirst(1, manifests("ra-seconds"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterSeconds(1)), &seconds),
			registrytest.FaultFirst(1, manifests("ra-date"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterDate(2*time.Second)), &date),
			registrytest.FaultFirst(1, manifests("unavailable"), registrytest.RateLimited(http.StatusServiceUnavailable, registrytest.RetryAfterSeconds(1)), &unavailable),
			registrytest.FaultFirst(never, manifests("ra-hour"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterSeconds(3600)), &hour),
			registrytest.FaultFirst(never, manifests("ra-long"), registrytest.RateLimited(http.StatusTooManyRequests, registrytest.RetryAfterSeconds(30)), &long),
			registrytest.FaultFirst(never, heads("nohead405"), registrytest.Respond(http.StatusMethodNotAllowed, "UNSUPPORTED"), &head405),
			registrytest.FaultFirst(never, heads("nohead403"), registrytest.Respond(http.StatusForbidden, "DENIED"), &head403),
			registrytest.Fault(manifests("trickle"), func(w http.ResponseWriter, r *http.Request) {
				registrytest.Trickle(http.StatusOK, manifestHeader(trickle), trickle.raw, 250*time.Millisecond)(w, r)
			}),
		} {
			next = w(next)
		}
		return next
	}})
	pushedAt := map[string]pushed{}
	for _, repo := range []string{"ra-seconds", "ra-date", "unavailable", "ra-hour", "ra-long", "trickle", "nohead405", "nohead403"} {
		pushedAt[repo], _ = push(t, rf, "faults/"+repo+":1")
	}
	trickle = pushedAt["trickle"]

	// Token servers that stall, fail, answer garbage, or answer without a
	// token but with a refresh token that must not be shown.
	leaky := "rt-leaky-" + fmt.Sprint(time.Now().UnixNano())
	secrets.Add(leaky)
	tokenFault := func(repo string, h http.Handler) *registrytest.Registry {
		origin := registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, h)
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users,
			Wrap: registrytest.RewriteChallenge(registrytest.RealmTo(origin.URL + "/token"))})
		push(t, reg, "faults/"+repo+":1")
		return reg
	}
	json := http.Header{"Content-Type": {"application/json"}}
	stall := tokenFault("tokstall", registrytest.Stall())
	failing := tokenFault("tok500", registrytest.Serve(http.StatusInternalServerError, json, []byte(`{"errors":[{"code":"UNKNOWN","message":"token service down"}]}`)))
	garbage := tokenFault("tokgarbage", registrytest.Serve(http.StatusOK, http.Header{"Content-Type": {"text/html"}}, []byte("<html>login page</html>")))
	noToken := tokenFault("toknotoken", registrytest.Serve(http.StatusOK, json, []byte(`{"refresh_token":"`+leaky+`","expires_in":60}`)))

	// A registry that rejects every token it is given.
	var rejecting *registrytest.Registry
	rejecting = registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users,
		Wrap: registrytest.Fault(func(r *http.Request) bool {
			return manifests("rejected")(r) && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
		}, func(w http.ResponseWriter, r *http.Request) {
			registrytest.Challenge(`Bearer realm="`+rejecting.TokenURL+`",service="`+registrytest.Service+`",scope="repository:faults/rejected:pull"`)(w, r)
		})})
	push(t, rejecting, "faults/rejected:1")

	// Tokens whose expires_in is absent, or 1 s, for a read that lasts
	// longer: the first config request waits 1.5 s.
	expiring := func(rewrite func(map[string]any)) (*registrytest.Registry, pushed) {
		var realm *registrytest.Origin
		var slow atomic.Bool
		reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: users, TokenTTL: time.Second,
			Wrap: func(next http.Handler) http.Handler {
				inner := next
				next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/blobs/") && slow.CompareAndSwap(false, true) {
						select {
						case <-time.After(1500 * time.Millisecond):
						case <-r.Context().Done():
							return
						}
					}
					inner.ServeHTTP(w, r)
				})
				return realmAt(&realm)(next)
			}})
		realm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, reg, rewrite, secrets))
		p, _ := push(t, reg, "faults/expires:1")
		return reg, p
	}
	absent, absentImg := expiring(func(m map[string]any) { delete(m, "expires_in") })
	short, shortImg := expiring(func(m map[string]any) { m["expires_in"] = 1 })

	blocks := []string{}
	for _, reg := range []*registrytest.Registry{stall, failing, garbage, noToken, rejecting, absent, short} {
		blocks = append(blocks, registryBlock(append([]string{"address", q(reg.Host)}, hardCreds...)...))
	}
	f := &failures{secrets: secrets}
	start := time.Now()
	var failed time.Duration
	// Checked even when a step fails: what reached where matters most then.
	defer func() {
		// Three data sources waited for the 3 s timeout, in parallel; nothing
		// waited for Retry-After: 30 or 3600.
		if failed > 15*time.Second {
			t.Errorf("the failing step took %s: something waited past the timeout", failed)
		}
		for name, st := range map[string]*registrytest.Stamps{"Retry-After: 3600": &hour, "Retry-After: 30 with timeout 3s": &long} {
			if n := len(st.All()); n != 1 {
				t.Errorf("%s: the manifest was asked for %d times, want once (no wait, no retry)", name, n)
			}
		}
		// A rejected token is fetched again once per request, not in a loop.
		pings, tokens := countPath(rejecting.Requests.All(), "/v2/"), len(rejecting.TokenRequests.All())
		gets := rejecting.Count(http.MethodGet, "/v2/faults/rejected/manifests/")
		t.Logf("a rejected token: %d token requests, %d manifest requests, %d provider runs", tokens, gets, pings)
		if pings == 0 || tokens != 2*pings || gets != 2*pings {
			t.Errorf("a rejected token: %d token requests and %d manifest requests in %d provider runs, want 2 and 2 per run", tokens, gets, pings)
		}
		if t.Failed() {
			return // the rest needs the successful step to have run
		}
		for name, st := range map[string]*registrytest.Stamps{"429, Retry-After: 1": &seconds, "429, Retry-After as a date 2 s ahead": &date, "503, Retry-After: 1": &unavailable} {
			all := st.All()
			if len(all) < 2 || !all[0].Faulted || all[1].Faulted {
				t.Errorf("%s: requests %+v, want the fault and then a retry", name, all)
				continue
			}
			gap := all[1].At.Sub(all[0].At)
			if gap < 900*time.Millisecond {
				t.Errorf("%s: retried after %s, before the registry asked", name, gap)
			}
			t.Logf("%s: retried after %s", name, gap.Round(time.Millisecond))
		}
		for name, st := range map[string]*registrytest.Stamps{"405": &head405, "403": &head403} {
			if len(st.All()) == 0 {
				t.Errorf("HEAD answered %s: no HEAD was sent, so the fallback was not tried", name)
			}
		}
		// One token per provider run (each run pings once), however short
		// expires_in was and however long the read took.
		for name, reg := range map[string]*registrytest.Registry{"absent": absent, "1 s": short} {
			pings := countPath(reg.Requests.All(), "/v2/")
			if tokens := len(reg.TokenRequests.All()); pings == 0 || tokens != pings {
				t.Errorf("expires_in %s: %d token requests in %d provider runs, want one per run", name, tokens, pings)
			}
		}
	}()
	hardeningCase(t, f,
		f.step(providerConfig(noCache+"  timeout = \"3s\"\n  max_retries = 1\n", blocks...)+manifestConfig(map[string]string{
			"hour":       rf.Host + "/faults/ra-hour:1",
			"long":       rf.Host + "/faults/ra-long:1",
			"trickle":    rf.Host + "/faults/trickle:1",
			"tokstall":   stall.Host + "/faults/tokstall:1",
			"tok500":     failing.Host + "/faults/tok500:1",
			"tokgarbage": garbage.Host + "/faults/tokgarbage:1",
			"toknotoken": noToken.Host + "/faults/toknotoken:1",
			"rejected":   rejecting.Host + "/faults/rejected:1",
		}),
			// Waits beyond the cap (60 s) or beyond the timeout are not
			// waited for: the read fails at once, saying what was asked.
			expectDiag("faults/ra-hour", `Registry Rate Limit Reached`, `asked for 1h0m0s`),
			expectDiag("faults/ra-long", `Registry Rate Limit Reached`, `asked for 30s`),
			expectDiag("faults/trickle", `Registry Request Timed Out`),
			expectDiag("faults/tokstall", `Registry Request Timed Out`),
			expectDiag("faults/tok500", `HTTP 500`),
			expectDiag("faults/tokgarbage", `Malformed Registry Response`),
			expectDiag("faults/toknotoken", `Malformed Registry Response`, `answered without a token`),
			expectDiag("faults/rejected", `Registry Authentication Failed`),
		),
		resource.TestStep{
			PreConfig: func() { failed = time.Since(start) },
			Config: providerConfig("  cache_dir = "+q(t.TempDir())+"\n", blocks...) + manifestConfig(map[string]string{
				"seconds":     rf.Host + "/faults/ra-seconds:1",
				"date":        rf.Host + "/faults/ra-date:1",
				"unavailable": rf.Host + "/faults/unavailable:1",
				"nohead405":   rf.Host + "/faults/nohead405:1",
				"nohead403":   rf.Host + "/faults/nohead403:1",
				"absent":      absent.Host + "/faults/expires:1",
				"short":       short.Host + "/faults/expires:1",
			}),
			ConfigStateChecks: []statecheck.StateCheck{
				digestIs("seconds", pushedAt["ra-seconds"].digest), digestIs("date", pushedAt["ra-date"].digest),
				digestIs("unavailable", pushedAt["unavailable"].digest), digestIs("nohead405", pushedAt["nohead405"].digest),
				digestIs("nohead403", pushedAt["nohead403"].digest), digestIs("absent", absentImg.digest), digestIs("short", shortImg.digest),
			},
			Check: noSecretsInState(secrets),
		},
	)
}

// countPath counts requests for exactly path.
func countPath(reqs []registrytest.Request, path string) int {
	n := 0
	for _, r := range reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

// hardeningCredentialKinds reads with every kind of credential the provider
// holds, right and wrong, so that the log search at the end covers them
// all: passwords at a realm and in Basic, a static token, an identity
// (refresh) token, the Docker config's auths, and ECR with AWS keys.
func hardeningCredentialKinds(t *testing.T, secrets *registrytest.Secrets) {
	const (
		kindsPass    = "kinds-pw-7d2b90"
		basicPass    = "kinds-basic-pw-41ce"
		refresh      = "rt-kinds-identity-58af"
		dockerUser   = "docker-user"
		dockerPass   = "kinds-dockercfg-pw-c3e1"
		wrongPass    = "kinds-wrong-pw-0b7e"
		wrongRefresh = "rt-kinds-wrong-6d14"
	)
	for _, s := range []string{kindsPass, basicPass, refresh, dockerPass, wrongPass, wrongRefresh, ecrSecret,
		basicAuth(hardUser, kindsPass), basicAuth(hardUser, basicPass), basicAuth(dockerUser, dockerPass), basicAuth(hardUser, wrongPass)} {
		secrets.Add(s)
	}
	// Token registries whose realm is a proxy that records every token
	// (and refresh token) the token server issues.
	tokenRegistry := func(name string, opts registrytest.Options) *registrytest.Registry {
		var realm *registrytest.Origin
		opts.Auth, opts.Wrap = registrytest.AuthToken, realmAt(&realm)
		reg := registrytest.New(t, opts)
		realm = registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, reg, nil, secrets))
		push(t, reg, "kinds/"+name+":1")
		return reg
	}
	password := tokenRegistry("password", registrytest.Options{Users: map[string]string{hardUser: kindsPass}})
	identity := tokenRegistry("identity", registrytest.Options{RefreshTokens: map[string]string{refresh: hardUser}})
	static := tokenRegistry("static", registrytest.Options{Users: map[string]string{hardUser: kindsPass}})
	basic := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: map[string]string{hardUser: basicPass}})
	push(t, basic, "kinds/basic:1")
	docker := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, Users: map[string]string{dockerUser: dockerPass}})
	push(t, docker, "kinds/docker:1")
	dockerCfg := dockerConfig(t, map[string]any{"auths": map[string]any{docker.Host: map[string]string{"auth": basicAuth(dockerUser, dockerPass)}}})
	isolateAWS(t)
	api := ecrAPI(t)
	ecrReg := ecrRegistry(t, api)

	// A token obtained elsewhere, for the token attribute.
	tr := static.HTTPTransport()
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, static.TokenURL+"?service="+registrytest.Service+"&scope=repository:kinds/static:pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(hardUser, kindsPass)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.Token == "" {
		t.Fatalf("token for the token attribute: %v", err)
	}
	secrets.Add(tok.Token)

	settings := noCache + "  docker_config_path = " + q(dockerCfg) + "\n"
	block := func(reg *registrytest.Registry, attrs ...string) string {
		return registryBlock(append([]string{"address", q(reg.Host)}, attrs...)...)
	}
	ecrKeys := ecrBlock(ecrReg, "region", q(ecrRegion), "registry_id", q(ecrAccount), "access_key", q(ecrKeyID), "secret_key", q(ecrSecret), "endpoint", q(api.URL))
	reads := map[string]string{}
	for name, reg := range map[string]*registrytest.Registry{"password": password, "identity": identity, "static": static, "basic": basic, "docker": docker} {
		reads[name] = reg.Host + "/kinds/" + name + ":1"
	}
	reads["ecr"] = ecrReg.Host + "/team/app:1"
	f := &failures{secrets: secrets}
	// Checked even when a step fails: what reached where matters most then.
	defer func() {
		for _, pw := range api.Passwords() {
			secrets.Add(pw)
			secrets.Add(basicAuth("AWS", pw))
		}
		if len(api.Passwords()) == 0 && !t.Failed() {
			t.Error("no ECR password was issued: the ECR read proves nothing")
		}
	}()
	hardeningCase(t, f,
		f.step(providerConfig(settings, block(password, "username", q(hardUser), "password", q(wrongPass)), block(identity, "identity_token", q(wrongRefresh)))+
			manifestConfig(map[string]string{"password": reads["password"], "identity": reads["identity"]}),
			expectDiag("kinds/password", `Registry Authentication Failed`),
			expectDiag("kinds/identity", `Registry Authentication Failed`),
		),
		okStep(secrets, providerConfig(settings,
			block(password, "username", q(hardUser), "password", q(kindsPass)),
			block(identity, "identity_token", q(refresh)),
			block(static, "token", q(tok.Token)),
			block(basic, "username", q(hardUser), "password", q(basicPass)),
			ecrKeys,
		)+manifestConfig(reads), readsOK(reads)...),
	)
}

func readsOK(reads map[string]string) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for name := range reads {
		checks = append(checks, readOK(name)...)
	}
	return checks
}

// checkLogs searches every log file for the secrets, for anything shaped
// like a JWT, and for Basic or Bearer credentials; and makes sure the logs
// hold both Terraform's lines and the provider's own, so that an empty or
// misdirected log cannot pass.
func checkLogs(t *testing.T, dir string, secrets []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}`)
	// A scheme and 16 or more token characters, padding only at the end:
	// "kind=basic tf_req_id=…" is a log field, not a credential.
	credential := regexp.MustCompile(`(?i)\b(basic|bearer)\s+[A-Za-z0-9+/._~-]{16,}={0,2}(?:[\s",]|$)`)
	var size, providerLines, coreLines int
	// Refresh tokens of the test registries and of the tests start "rt-".
	refresh := regexp.MustCompile(`\brt-[A-Za-z0-9_-]{4,}`)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		size += len(b)
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "imageinfo: ") {
				providerLines++
			}
			if strings.Contains(line, "[TRACE] ") {
				coreLines++
			}
			for _, s := range secrets {
				if strings.Contains(line, s) {
					t.Errorf("%s:%d holds a secret (%s): %.200s", filepath.Base(file), i+1, mask(s), line)
				}
			}
			for _, re := range []*regexp.Regexp{jwt, credential, refresh} {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s:%d holds what looks like a credential (%s): %.200s", filepath.Base(file), i+1, mask(m), line)
				}
			}
		}
	}
	t.Logf("searched %d log files (%d MiB, %d TRACE lines, %d lines of the provider) for %d secrets", len(files), size>>20, coreLines, providerLines, len(secrets))
	if len(files) == 0 || providerLines == 0 || coreLines == 0 {
		t.Errorf("the logs were not captured (%d files, %d provider lines, %d TRACE lines): the search proves nothing", len(files), providerLines, coreLines)
	}
}

// TestTraceLogsHoldNoSecrets searches the TRACE logs of a whole test run
// for the secrets the tests use, when IMAGEINFO_TRACE_LOGS names the
// directory they were written to:
//
//	TF_LOG=TRACE TF_LOG_PATH_MASK=/tmp/trace/%s.log TF_LOG_SDK_HELPER_RESOURCE=OFF make test
//	IMAGEINFO_TRACE_LOGS=/tmp/trace go test ./internal/provider -run TestTraceLogsHoldNoSecrets
//
// (TF_LOG_SDK_HELPER_RESOURCE=OFF keeps the test harness from logging each
// step's configuration, which holds the secrets as the tests' input.)
// TestAccHardening searches its own logs this way on every run.
func TestTraceLogsHoldNoSecrets(t *testing.T) {
	dir := os.Getenv("IMAGEINFO_TRACE_LOGS")
	if dir == "" {
		t.Skip("IMAGEINFO_TRACE_LOGS is not set: no logs of a test run to search")
	}
	checkLogs(t, dir, []string{
		testPassword, ecrSecret, ecrRoleKey, hardPass, basicAuth(testUser, testPassword),
		"rt-identity-token-3c9d", "wrong-secret-do-not-show-11", "denied-secret", "wrong-password-9d1c", "wrong-pw-never-shown-77aa",
	})
}
