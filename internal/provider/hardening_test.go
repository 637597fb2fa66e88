package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"go.uber.org/goleak"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// The hardening tests drive the provider through Terraform against
// registries that misbehave the way hostile or broken ones do, and
// check three things for each fault: the outcome (a diagnostic of the right
// class, or a correct read), that no credential reached a server it must not
// (every server records what it received), and that no secret appears in a
// diagnostic, in state, or in the TRACE logs of Terraform and the provider.

// The hardening tests' credentials, and a setting that keeps every read on
// the network, where the faults are.
const (
	hardUser = "hardy"
	hardPass = "hardening-pw-3f9e1c"
	noCache  = "  cache_dir = \"\"\n"
)

// hardeningSetup prepares a hardening test and reports whether the test
// body should run: false in the parent process, which has run the test in a
// child process (inChild) and reported its outcome. In the child,
// HTTP_PROXY and HTTPS_PROXY point at a proxy that forwards nothing:
// loopback is never proxied, so the registries are reached, and anything
// else (a metadata address, should a protection break) ends at the proxy,
// recorded, instead of leaving the machine. Every Terraform and provider log
// line is captured at TRACE. When the test ends, the proxy must have been
// asked for nothing and have seen none of the secrets, the logs must hold
// none of them, and no goroutine may outlive the test. The test adds the
// secrets it uses to those returned.
func hardeningSetup(t *testing.T) (*registrytest.Secrets, bool) {
	t.Helper()
	if !inChild(t) {
		return nil, false
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
	// Registered after the proxy and the log directory, so it runs before
	// they go, and before the test's own servers: once the test's servers
	// have closed.
	t.Cleanup(func() {
		for _, target := range proxy.Targets() {
			t.Errorf("the provider tried to leave the machine: %s asked for %s", proxy, target)
		}
		for _, s := range secrets.All() {
			if proxy.Requests.SawSecret(s) {
				t.Errorf("a secret (%s) reached the %s", mask(s), proxy)
			}
		}
		checkLogs(t, logs, secrets.All())
	})
	return secrets, true
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

// realmAt makes a registry's challenges name the realm *o + "/token", read
// when a request comes: the realm's server needs the registry to exist.
func realmAt(o **registrytest.Origin) func(http.Handler) http.Handler {
	return registrytest.RewriteChallenge(func(v string) string { return registrytest.RealmTo((*o).URL + "/token")(v) })
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
		p = manifestOf(t, img)
		if cfg, err = img.RawConfigFile(); err != nil {
			t.Fatal(err)
		}
	}
	return p, cfg
}

func exactPath(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
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
// Each TestAccHardening_ test searches its own logs this way on every run.
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
