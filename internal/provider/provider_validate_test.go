package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

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
