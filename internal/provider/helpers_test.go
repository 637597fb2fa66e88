package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"go.uber.org/goleak"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// Helpers shared by the test files of this package. Helpers only one file
// uses stay in that file.

// Serving the provider, and rendering its configuration.

// testAccProviders serves the provider in-process to the Terraform or OpenTofu
// binary that terraform-plugin-testing runs (TF_ACC_TERRAFORM_PATH; never
// downloaded), through TF_REATTACH_PROVIDERS: no dev_overrides are involved.
var testAccProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"imageinfo": func() (tfprotov6.ProviderServer, error) { return ProtocolV6("test")(), nil },
}

// providerConfig renders a provider block with the given settings and blocks.
func providerConfig(settings string, blocks ...string) string {
	return "provider \"imageinfo\" {\n" + settings + strings.Join(blocks, "") + "}\n"
}

// registryBlock renders one provider registry block from attribute pairs.
func registryBlock(attrs ...string) string {
	var b strings.Builder
	b.WriteString("  registry {\n")
	for i := 0; i+1 < len(attrs); i += 2 {
		fmt.Fprintf(&b, "    %s = %s\n", attrs[i], attrs[i+1])
	}
	b.WriteString("  }\n")
	return b.String()
}

// tlsBlock is a registry block for a TLS registry: its CA and attrs.
func tlsBlock(reg *registrytest.Registry, attrs ...string) string {
	return registryBlock(append([]string{"address", q(reg.Host), "ca_cert_pem", heredoc(strings.TrimSpace(string(reg.CAPEM)))}, attrs...)...)
}

// ecrBlock renders a registry block for reg with an ecr block of attrs.
func ecrBlock(reg *registrytest.Registry, attrs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(attrs); i += 2 {
		fmt.Fprintf(&b, "      %s = %s\n", attrs[i], attrs[i+1])
	}
	return fmt.Sprintf("  registry {\n    address = %q\n    ecr {\n%s    }\n  }\n", reg.Host, b.String())
}

// manifestConfig renders imageinfo_manifest data sources by name.
func manifestConfig(refs map[string]string) string {
	var b strings.Builder
	for name, ref := range refs {
		fmt.Fprintf(&b, "data \"imageinfo_manifest\" %q {\n  reference = %q\n}\n", name, ref)
	}
	return b.String()
}

// manifestWithPlatform renders an imageinfo_manifest data source.
func manifestWithPlatform(name, ref, platform string) string {
	s := fmt.Sprintf("data \"imageinfo_manifest\" %q {\n  reference = %q\n", name, ref)
	if platform != "" {
		s += fmt.Sprintf("  platform  = %q\n", platform)
	}
	return s + "}\n"
}

// q quotes a string for HCL.
func q(s string) string { return fmt.Sprintf("%q", s) }

// heredoc renders a multi-line string for HCL.
func heredoc(s string) string { return "<<-EOT\n" + s + "\nEOT" }

// Values of the provider's configuration, for tests that call its methods
// directly.

// registryObject makes the value of a registry block: the given attributes,
// null for the others. "ecr" takes an ecrObject.
func registryObject(t *testing.T, set map[string]attr.Value) types.Object {
	t.Helper()
	return objectOf(t, registryBlockSchema().NestedObject.Type(), set)
}

// ecrObject makes the value of an ecr block, as registryObject does.
func ecrObject(t *testing.T, set map[string]attr.Value) types.Object {
	t.Helper()
	return objectOf(t, ecrBlockSchema().Type(), set)
}

func objectOf(t *testing.T, typ attr.Type, set map[string]attr.Value) types.Object {
	t.Helper()
	ot, ok := typ.(types.ObjectType)
	if !ok {
		t.Fatalf("%s is not an object type", typ)
	}
	values := map[string]attr.Value{}
	for name, at := range ot.AttrTypes {
		v, ok := set[name]
		if !ok {
			v = nullOf(t, at)
		}
		values[name] = v
	}
	for name := range set {
		if _, ok := ot.AttrTypes[name]; !ok {
			t.Fatalf("no attribute %q in %s", name, typ)
		}
	}
	obj, diags := types.ObjectValue(ot.AttrTypes, values)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return obj
}

func nullOf(t *testing.T, typ attr.Type) attr.Value {
	t.Helper()
	ctx := context.Background()
	v, err := typ.ValueFromTerraform(ctx, tftypes.NewValue(typ.TerraformType(ctx), nil))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// registryList makes the list of registry blocks.
func registryList(t *testing.T, blocks ...types.Object) types.List {
	t.Helper()
	elems := make([]attr.Value, len(blocks))
	for i, b := range blocks {
		elems[i] = b
	}
	list, diags := types.ListValue(registryBlockSchema().NestedObject.Type(), elems)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return list
}

// selfSigned makes a certificate and its key, in PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imageinfo test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// Provider functions.

const (
	fnDigest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	fnDigest2 = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	// fnDigest384 is well formed for go-digest, but not an algorithm OCI
	// registries use.
	fnDigest384 = "sha384:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// functionsFrom18 skips function tests on Terraform before 1.8, which has no
// provider functions.
var functionsFrom18 = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}

// runFunction calls a function's Run with string arguments, as the framework
// would, and returns its result and error.
func runFunction(t *testing.T, f function.Function, ret attr.Value, args ...string) (attr.Value, *function.FuncError) {
	t.Helper()
	values := make([]attr.Value, len(args))
	for i, a := range args {
		values[i] = types.StringValue(a)
	}
	resp := &function.RunResponse{Result: function.NewResultData(ret)}
	f.Run(context.Background(), function.RunRequest{Arguments: function.NewArgumentsData(values)}, resp)
	return resp.Result.Value(), resp.Error
}

// Credentials: for the test registries, the Docker config and AWS.

const (
	testUser     = "alice"
	testPassword = "alice-s3cret-pw-7f3a"
)

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// dockerConfig writes a Docker config.json into a new directory, points
// DOCKER_CONFIG at it, and returns the file's path.
func dockerConfig(t *testing.T, cfg map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	return path
}

// privateRegistry is a token-auth registry with one private image.
func privateRegistry(t *testing.T, opts registrytest.Options) *registrytest.Registry {
	t.Helper()
	opts.Auth = registrytest.AuthToken
	if opts.Users == nil {
		opts.Users = map[string]string{testUser: testPassword}
	}
	reg := registrytest.New(t, opts)
	if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
		t.Fatal(err)
	}
	return reg
}

// The tests' ECR account and region, and their AWS keys: ecrKeyID and
// ecrSecret for the ECR API, ecrRoleKeyID and ecrRoleKey to assume a role.
const (
	ecrAccount   = "123456789012"
	ecrRegion    = "us-east-1"
	ecrKeyID     = "AKIAIMAGEINFOTESTKEY"
	ecrSecret    = "ecr-test-secret-key-do-not-show-4b1f"
	ecrRoleKeyID = "AKIAIMAGEINFOROLEKEY"
	ecrRoleKey   = "role-source-secret-do-not-show-8c2e"
)

// ecrTestHost is the hostname of ecrAccount's ECR registry in ecrRegion.
const ecrTestHost = ecrAccount + ".dkr.ecr." + ecrRegion + ".amazonaws.com"

// isolateAWS keeps every AWS setting of the machine and the developer away
// from the test: no environment credentials, no shared files, no instance
// metadata.
func isolateAWS(t *testing.T) {
	t.Helper()
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func ecrAPI(t *testing.T) *awsapi.ECR {
	return awsapi.NewECR(t, awsapi.ECROptions{
		Credentials: map[string]awsapi.Credential{ecrKeyID: {Secret: ecrSecret}},
	})
}

// ecrRegistry is a registry that behaves like ECR: a Basic challenge with
// service="ecr.amazonaws.com", accepting only AWS:<password issued by api>.
func ecrRegistry(t *testing.T, api *awsapi.ECR) *registrytest.Registry {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{
		Wrap: api.RegistryMiddleware(ecrTestHost),
	})
	if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
		t.Fatal(err)
	}
	return reg
}

// What was pushed, and what the registries received.

// pushed is the manifest of a pushed image or index: what a data source
// reading it reports as digest, media_type, size and manifest_json.
type pushed struct {
	digest    string
	mediaType string
	raw       []byte
}

// manifestSource is what go-containerregistry's images and indexes both say
// about their manifest.
type manifestSource interface {
	RawManifest() ([]byte, error)
	MediaType() (ggcrtypes.MediaType, error)
	Digest() (v1.Hash, error)
}

// manifestOf returns the digest, media type and bytes of the manifest of a
// pushed image or index, as go-containerregistry computes them.
func manifestOf(t *testing.T, m manifestSource) pushed {
	t.Helper()
	raw, err := m.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := m.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return pushed{d.String(), string(mt), raw}
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

// countPath counts requests for exactly path.
func countPath(reqs []registrytest.Request, path string) int {
	return countRequests(reqs, func(r registrytest.Request) bool { return r.Path == path })
}

// countMethod counts requests made with method.
func countMethod(reqs []registrytest.Request, method string) int {
	return countRequests(reqs, func(r registrytest.Request) bool { return r.Method == method })
}

// countAuth counts requests whose Authorization header has scheme.
func countAuth(reqs []registrytest.Request, scheme string) int {
	return countRequests(reqs, func(r registrytest.Request) bool { return r.AuthScheme == scheme })
}

// countRequests counts the requests match selects.
func countRequests(reqs []registrytest.Request, match func(registrytest.Request) bool) int {
	n := 0
	for _, r := range reqs {
		if match(r) {
			n++
		}
	}
	return n
}

// fetchToken gets a pull token for repo from reg's token server with user's
// password, the way a user's own tooling would: for the token attribute.
func fetchToken(t *testing.T, reg *registrytest.Registry, repo, user, password string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, reg.TokenURL+"?service="+registrytest.Service+"&scope=repository:"+repo+":pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	tr := reg.HTTPTransport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	var tok struct{ Token string }
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		t.Fatalf("token server: %s %v %s", resp.Status, err, body)
	}
	return tok.Token
}

// Expectations.

func readOK(name string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.imageinfo_manifest."+name, tfjsonpath.New("digest"), knownvalue.StringRegexp(regexp.MustCompile(`^sha256:[0-9a-f]{64}$`))),
	}
}

func digestIs(name, digest string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.imageinfo_manifest."+name, tfjsonpath.New("digest"), knownvalue.StringExact(digest))
}

// wrapped compiles a pattern for Terraform's output, which wraps lines:
// every space matches any white space, and '.' matches newlines.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

// Tests that run in a process of their own.

// childEnv marks the process that runs a test which needs its own proxy
// settings: net/http reads HTTPS_PROXY once per process.
const childEnv = "IMAGEINFO_TEST_CHILD"

// inChild runs the named test in a fresh test process and reports its
// outcome; it returns true in that child, where the test body should run.
func inChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return true
	}
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s in a child process: %v\n%s", t.Name(), err, out)
	}
	t.Logf("child process:\n%s", out)
	return false
}

// The hardening tests (hardening_*_test.go).

// The hardening tests' credentials, and a setting that keeps every read on
// the network, where the faults are.
const (
	hardUser = "hardy"
	hardPass = "hardening-pw-3f9e1c"
	noCache  = "  cache_dir = \"\"\n"
)

var hardCreds = []string{"username", q(hardUser), "password", q(hardPass)}

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

// recordingRealm is a realm in front of reg's token server, on another
// origin, that adds every token (and refresh token) the server issues to
// secrets, after rewrite, when not nil, has changed the answer.
func recordingRealm(t *testing.T, reg *registrytest.Registry, rewrite func(map[string]any), secrets *registrytest.Secrets) *registrytest.Origin {
	t.Helper()
	return registrytest.NewOrigin(t, registrytest.OriginOptions{Name: "localhost"}, registrytest.TokenProxy(t, reg, rewrite, secrets))
}

// realmAt makes a registry's challenges name the realm *o + "/token", read
// when a request comes: the realm's server needs the registry to exist.
func realmAt(o **registrytest.Origin) func(http.Handler) http.Handler {
	return registrytest.RewriteChallenge(func(v string) string { return registrytest.RealmTo((*o).URL + "/token")(v) })
}

func manifestHeader(p pushed) http.Header {
	return http.Header{"Content-Type": {p.mediaType}, "Docker-Content-Digest": {p.digest}}
}

func exactPath(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
}
