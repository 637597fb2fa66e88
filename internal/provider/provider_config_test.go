package provider

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestECRConfig: every ecr attribute sets its own field of ecr.Config.
func TestECRConfig(t *testing.T) {
	set := map[string]attr.Value{}
	for _, s := range ecrSettings {
		set[s.name] = types.StringValue("value-of-" + s.name)
	}
	c := ecrConfig(ecrObject(t, set))
	for _, s := range ecrSettings {
		if got := *s.field(&c); got != "value-of-"+s.name {
			t.Errorf("ecr.Config field of %s = %q, want %q", s.name, got, "value-of-"+s.name)
		}
	}
}

// TestUnknownSettings names each setting not known yet by its path, down to
// the ecr block, and the registry blocks as a whole when they are unknown.
func TestUnknownSettings(t *testing.T) {
	known := registryObject(t, map[string]attr.Value{"address": types.StringValue("ghcr.io")})
	partly := registryObject(t, map[string]attr.Value{
		"address":  types.StringValue("x.dkr.ecr.us-east-1.amazonaws.com"),
		"password": types.StringUnknown(),
		"ecr":      ecrObject(t, map[string]attr.Value{"region": types.StringUnknown(), "profile": types.StringValue("p")}),
	})
	tests := []struct {
		name string
		cfg  providerModel
		want []string
	}{
		{"known", providerModel{Registries: registryList(t, known)}, nil},
		{"settings", providerModel{Timeout: types.StringUnknown(), Registries: registryList(t, known, partly)},
			[]string{"registry[1].ecr.region", "registry[1].password", "timeout"}},
		{"blocks", providerModel{Registries: types.ListUnknown(registryBlockSchema().NestedObject.Type())}, []string{"registry"}},
	}
	for _, tt := range tests {
		if got := unknownSettings(tt.cfg); !slices.Equal(got, tt.want) {
			t.Errorf("%s: unknownSettings = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// configOf runs clientConfig, failing the test on an error.
func configOf(t *testing.T, cfg providerModel) (clientSettings, diag.Diagnostics) {
	t.Helper()
	if cfg.Registries.IsNull() {
		cfg.Registries = registryList(t)
	}
	s, diags := clientConfig(context.Background(), cfg, "1.2.3")
	if diags.HasError() {
		t.Fatalf("clientConfig: %v", diags)
	}
	return s, diags
}

// credentialsFor says which kind of credentials the keychain gives host.
func credentialsFor(t *testing.T, s clientSettings, host string) string {
	t.Helper()
	reg, err := name.NewRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.options.Keychain.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	return auth.OriginOf(a).Kind
}

// TestClientConfigDefaults: an empty provider block gets the documented
// defaults: 60s, registry.DefaultMaxRetries, the default cache directory,
// the Docker config.
func TestClientConfigDefaults(t *testing.T) {
	dockerConfig(t, map[string]any{"auths": map[string]any{"reg.example": map[string]string{"auth": basicAuth("u", "p")}}})
	s, diags := configOf(t, providerModel{})
	if len(diags) > 0 {
		t.Errorf("diagnostics: %v", diags)
	}
	if s.timeout != 60*time.Second || s.options.MaxRetries != registry.DefaultMaxRetries || s.options.UserAgent != "terraform-provider-imageinfo/1.2.3" {
		t.Errorf("timeout %s, max retries %d, user agent %q", s.timeout, s.options.MaxRetries, s.options.UserAgent)
	}
	want, err := cache.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.options.Cache.Dir(); got != want {
		t.Errorf("cache directory %q, want %q", got, want)
	}
	if len(s.options.Hosts) != 0 || len(s.unknown) != 0 {
		t.Errorf("hosts %v, unknown %v; want none", s.options.Hosts, s.unknown)
	}
	if got := credentialsFor(t, s, "reg.example"); got != auth.KindBasic {
		t.Errorf("credentials for a registry in the Docker config: %s, want %s", got, auth.KindBasic)
	}
}

// TestClientConfigSettings: each top-level setting reaches the options, an
// explicit 0 included.
func TestClientConfigSettings(t *testing.T) {
	dockerConfig(t, map[string]any{"auths": map[string]any{"reg.example": map[string]string{"auth": basicAuth("u", "p")}}})
	s, _ := configOf(t, providerModel{
		Timeout:      types.StringValue("2m"),
		MaxRetries:   types.Int64Value(0),
		CacheDir:     types.StringValue(""),
		DockerConfig: types.BoolValue(false),
	})
	if s.timeout != 2*time.Minute || s.options.MaxRetries != 0 || s.options.Cache != nil {
		t.Errorf("timeout %s, max retries %d, cache %v; want 2m, 0, none", s.timeout, s.options.MaxRetries, s.options.Cache)
	}
	if got := credentialsFor(t, s, "reg.example"); got != auth.KindAnonymous {
		t.Errorf("credentials with docker_config = false: %s, want %s", got, auth.KindAnonymous)
	}
}

// TestClientConfigRegistryBlocks: each block's TLS settings and credentials
// reach the options under its canonical address.
func TestClientConfigRegistryBlocks(t *testing.T) {
	cert, key := selfSigned(t)
	const ecrHost = "123456789012.dkr.ecr.us-east-2.amazonaws.com"
	s, _ := configOf(t, providerModel{Registries: registryList(t,
		registryObject(t, map[string]attr.Value{"address": types.StringValue("https://index.docker.io/v1/"),
			"username": types.StringValue("u"), "password": types.StringValue("p")}),
		registryObject(t, map[string]attr.Value{"address": types.StringValue("plain.example:5000"), "insecure": types.BoolValue(true)}),
		registryObject(t, map[string]attr.Value{"address": types.StringValue("skip.example"), "skip_tls_verify": types.BoolValue(true)}),
		registryObject(t, map[string]attr.Value{"address": types.StringValue("mtls.example"), "ca_cert_pem": types.StringValue(cert),
			"client_cert_pem": types.StringValue(cert), "client_key_pem": types.StringValue(key), "token": types.StringValue("t")}),
		registryObject(t, map[string]attr.Value{"address": types.StringValue(ecrHost),
			"ecr": ecrObject(t, map[string]attr.Value{"profile": types.StringValue("prod")})}),
	)})
	hosts := s.options.Hosts
	if h := hosts["docker.io"]; h.Insecure || h.TLS != nil {
		t.Errorf("docker.io: %+v, want default connection settings", h)
	}
	if h := hosts["plain.example:5000"]; !h.Insecure || h.TLS != nil {
		t.Errorf("insecure block: %+v", h)
	}
	if h := hosts["skip.example"]; h.TLS == nil || !h.TLS.InsecureSkipVerify {
		t.Errorf("skip_tls_verify block: %+v", h)
	}
	if h := hosts["mtls.example"]; h.TLS == nil || h.TLS.InsecureSkipVerify || h.TLS.RootCAs == nil || len(h.TLS.Certificates) != 1 {
		t.Errorf("ca_cert_pem and client certificate block: %+v", h)
	}
	for host, want := range map[string]string{"docker.io": auth.KindBasic, "mtls.example": auth.KindToken, ecrHost: auth.KindECR, "plain.example:5000": auth.KindAnonymous} {
		if got := credentialsFor(t, s, host); got != want {
			t.Errorf("credentials for %s: %s, want %s", host, got, want)
		}
	}
	for _, secret := range []string{"p", "t", key} {
		if !slices.Contains(s.secrets, secret) {
			t.Errorf("secret %.10q is not masked", secret)
		}
	}
}

// TestClientConfigProblems: settings not known yet leave the client
// unmade; an unusable cache is a warning; an ECR block that contradicts its
// address is an error on it.
func TestClientConfigProblems(t *testing.T) {
	s, _ := configOf(t, providerModel{Timeout: types.StringUnknown()})
	if !slices.Equal(s.unknown, []string{"timeout"}) || s.options.Keychain != nil {
		t.Errorf("unknown %v, keychain %v; want [timeout] and no options", s.unknown, s.options.Keychain)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, diags := configOf(t, providerModel{CacheDir: types.StringValue(file)})
	if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning || diags[0].Summary() != "Cache Not Available" || s.options.Cache != nil {
		t.Errorf("cache_dir on a file: %v, cache %v; want one warning and no cache", diags, s.options.Cache)
	}

	_, diags = clientConfig(context.Background(), providerModel{Registries: registryList(t, registryObject(t, map[string]attr.Value{
		"address": types.StringValue("123456789012.dkr.ecr.us-east-2.amazonaws.com"),
		"ecr":     ecrObject(t, map[string]attr.Value{"region": types.StringValue("eu-west-1")}),
	}))}, "test")
	if !diags.HasError() || diags[0].Summary() != "Invalid ECR Configuration" {
		t.Errorf("ecr region contradicting the address: %v", diags)
	}
}

// TestRegistryBlockLog: the log line of a registry block names its kind of
// credentials in auth's words (those of auth.Describe, which diagnostics
// use), and leaves the field out for a block without credentials.
func TestRegistryBlockLog(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	blocks := []registryModel{
		{Address: types.StringValue("basic.example"), Username: types.StringValue("u"), Password: types.StringValue("p")},
		{Address: types.StringValue("token.example"), Token: types.StringValue("t")},
		{Address: types.StringValue("identity.example"), IdentityToken: types.StringValue("i")},
		{Address: types.StringValue("tls.example"), SkipTLSVerify: types.BoolValue(true)},
	}
	noECR, ok := nullOf(t, ecrBlockSchema().Type()).(types.Object)
	if !ok {
		t.Fatal("the ecr block is not an object")
	}
	for i := range blocks {
		blocks[i].ECR = noECR
	}
	if _, _, diags := registrySettings(ctx, blocks, &ecr.Cache{}); diags.HasError() {
		t.Fatal(diags)
	}
	lines, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"basic.example": auth.KindBasic, "token.example": auth.KindToken, "identity.example": auth.KindIdentityToken, "tls.example": nil}
	for _, l := range lines {
		if l["@message"] != "registry block configured" {
			continue
		}
		host, _ := l["registry"].(string)
		if got := l["credentials"]; got != want[host] {
			t.Errorf("%s: credentials %v, want %v", host, got, want[host])
		}
		delete(want, host)
	}
	if len(want) > 0 {
		t.Errorf("no log line for %v", want)
	}
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

// TestAccProvider_UnknownRegistryBlocks: registry blocks made by a dynamic
// block from a value only known after apply are a configuration not known
// yet, named "registry", not a conversion error; without a data source to
// read, the configuration plans and applies.
func TestAccProvider_UnknownRegistryBlocks(t *testing.T) {
	config := func(data string) string {
		return `
resource "terraform_data" "hosts" {
  input = ["127.0.0.1:1"]
}
provider "imageinfo" {
  dynamic "registry" {
    for_each = terraform_data.hosts.output
    content {
      address  = registry.value
      username = "u"
      password = "p"
    }
  }
}
` + data
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      config(manifestConfig(map[string]string{"x": "127.0.0.1:1/never/read:1"})),
				ExpectError: regexp.MustCompile(`(?s)Provider Configuration Not Known Yet.*\[registry\]`),
			},
			{Config: config("")},
		},
	})
}

// warningRecorder serves the provider to Terraform as testAccProviders does,
// and keeps the warnings that ConfigureProvider answers with: Terraform shows
// them, but terraform-plugin-testing has no check for warnings.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
}

func (r *warningRecorder) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"imageinfo": func() (tfprotov6.ProviderServer, error) {
			srv, err := testAccProviders["imageinfo"]()
			return recordingServer{ProviderServer: srv, r: r}, err
		},
	}
}

func (r *warningRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.warnings)
}

type recordingServer struct {
	tfprotov6.ProviderServer
	r *warningRecorder
}

func (s recordingServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	resp, err := s.ProviderServer.ConfigureProvider(ctx, req)
	if resp != nil {
		s.r.mu.Lock()
		for _, d := range resp.Diagnostics {
			if d.Severity == tfprotov6.DiagnosticSeverityWarning {
				s.r.warnings = append(s.r.warnings, d.Summary+": "+d.Detail)
			}
		}
		s.r.mu.Unlock()
	}
	return resp, err
}

// TestAccProvider_CacheNotAvailable: a cache_dir that cannot be a directory
// (a regular file) is a warning that names it, not an error: the read works,
// from the registry.
func TestAccProvider_CacheNotAvailable(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	if _, err := reg.PushImage(context.Background(), "team/app:1"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &warningRecorder{}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: rec.factories(),
		Steps: []resource.TestStep{{
			Config:            providerConfig("  cache_dir = "+q(file)+"\n") + manifestConfig(map[string]string{"app": reg.Host + "/team/app:1"}),
			ConfigStateChecks: readOK("app"),
		}},
	})
	warnings := rec.all()
	if len(warnings) == 0 {
		t.Fatal("Terraform got no warning from the provider's configuration")
	}
	for _, w := range warnings {
		if !strings.HasPrefix(w, "Cache Not Available: ") || !strings.Contains(w, file) {
			t.Errorf("warning %q: want Cache Not Available naming %s", w, file)
		}
	}
	if fi, err := os.Stat(file); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("cache_dir file: %v, %v; want it left as it was", fi, err)
	}
}
