package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccProvider_ConfigValidation covers the provider configuration rules:
// each rule has a step that only it fails, and the combinations the rules
// allow pass validation and reach the registry.
func TestAccProvider_ConfigValidation(t *testing.T) {
	cert, key := selfSigned(t)
	data := manifestConfig(map[string]string{"x": "127.0.0.1:1/never/read:1"})
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{Config: config + data, ExpectError: regexp.MustCompile(want)}
	}
	// combination is the framework validators' diagnostic, naming the
	// attribute of registry[0] that ends the pattern's first quote.
	combination := func(detail string) string {
		return wrapped(`Invalid Attribute Combination.*"registry\[0\].` + detail).String()
	}
	block := func(attrs ...string) string {
		return providerConfig("", registryBlock(append([]string{"address", q("ghcr.io")}, attrs...)...))
	}
	withECR := func(attrs ...string) string {
		b := registryBlock(append([]string{"address", q("ghcr.io")}, attrs...)...)
		return providerConfig("", strings.TrimSuffix(b, "  }\n")+"    ecr {}\n  }\n")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			step(providerConfig("", registryBlock("address", q("ghcr.io/org"))), `(?s)Invalid Registry Address.*includes the path "/org"`),
			step(providerConfig("", registryBlock("address", q("docker.io")), registryBlock("address", q("https://index.docker.io/v1/"))), `(?s)Duplicate Registry Block.*"docker.io"`),
			step(providerConfig("  timeout = \"soon\"\n"), `(?s)Invalid Duration.*not a duration`),
			step(providerConfig("  max_retries = 99\n"), `max_retries`),

			// Basic credentials come in pairs.
			step(block("username", q("u")), combination(`password" must be specified when "registry\[0\].username" is specified`)),
			step(block("password", q("p")), combination(`username" must be specified when "registry\[0\].password" is specified`)),
			// One kind of credentials per block.
			step(block("username", q("u"), "password", q("p"), "token", q("t")), combination(`username" cannot be specified when "registry\[0\].token" is specified`)),
			step(block("token", q("t"), "identity_token", q("i")), combination(`token" cannot be specified when "registry\[0\].identity_token" is specified`)),
			step(withECR("identity_token", q("i")), combination(`identity_token" cannot be specified when "registry\[0\].ecr" is specified`)),
			step(withECR("username", q("u"), "password", q("p")), combination(`username" cannot be specified when "registry\[0\].ecr" is specified`)),

			// A client certificate comes with its key.
			step(block("client_cert_pem", heredoc(cert)), combination(`client_key_pem" must be specified when "registry\[0\].client_cert_pem" is specified`)),
			step(block("client_key_pem", heredoc(key)), combination(`client_cert_pem" must be specified when "registry\[0\].client_key_pem" is specified`)),
			step(block("ca_cert_pem", q("not a cert")), `(?s)Invalid Certificate PEM.*No PEM-encoded certificate`),
			// insecure = true leaves no TLS to configure; skip_tls_verify = true no CA to trust.
			step(block("insecure", "true", "skip_tls_verify", "true"), combination(`skip_tls_verify" cannot be true when "registry\[0\].insecure" is true`)),
			step(block("insecure", "true", "ca_cert_pem", heredoc(cert)), combination(`ca_cert_pem" cannot be specified when "registry\[0\].insecure" is true`)),
			step(block("insecure", "true", "client_cert_pem", heredoc(cert), "client_key_pem", heredoc(key)), combination(`client_cert_pem" cannot be specified when "registry\[0\].insecure" is true`)),
			step(block("skip_tls_verify", "true", "ca_cert_pem", heredoc(cert)), combination(`ca_cert_pem" cannot be specified when "registry\[0\].skip_tls_verify" is true`)),
			// Explicit false conflicts with nothing: validation passes, and the read fails on the network.
			step(providerConfig("  max_retries = 0\n", registryBlock("address", q("127.0.0.1:1"), "insecure", "false", "skip_tls_verify", "false",
				"ca_cert_pem", heredoc(cert), "client_cert_pem", heredoc(cert), "client_key_pem", heredoc(key))), `Registry Unreachable`),
		},
	})
}
