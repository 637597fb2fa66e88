package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testAccProviders serves the provider in-process to the terraform binary
// that terraform-plugin-testing runs (TF_ACC_TERRAFORM_PATH; never downloaded).
var testAccProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"imageinfo": providerserver.NewProtocol6WithError(New("test")()),
}

func TestMain(m *testing.M) {
	// Terraform must never look anything up on the internet, and must not
	// pick up the developer's own CLI configuration (dev_overrides, mirrors).
	os.Setenv("CHECKPOINT_DISABLE", "1")
	dir, err := os.MkdirTemp("", "imageinfo-test-")
	if err != nil {
		panic(err)
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		panic(err)
	}
	os.Setenv("TF_CLI_CONFIG_FILE", cliConfig)
	// Nor the developer's Docker credentials: tests that want a Docker
	// config write their own.
	os.Setenv("DOCKER_CONFIG", filepath.Join(dir, "docker"))
	os.Unsetenv("DOCKER_AUTH_CONFIG")
	// The default cache_dir is under the user cache directory: keep it in
	// the test's own directory.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
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

// providerConfig renders a provider block with the given settings and blocks.
func providerConfig(settings string, blocks ...string) string {
	return "provider \"imageinfo\" {\n" + settings + strings.Join(blocks, "") + "}\n"
}

// manifestConfig renders imageinfo_manifest data sources by name.
func manifestConfig(refs map[string]string) string {
	var b strings.Builder
	for name, ref := range refs {
		fmt.Fprintf(&b, "data \"imageinfo_manifest\" %q {\n  reference = %q\n}\n", name, ref)
	}
	return b.String()
}

// q quotes a string for HCL.
func q(s string) string { return fmt.Sprintf("%q", s) }

// heredoc renders a multi-line string for HCL.
func heredoc(s string) string { return "<<-EOT\n" + s + "\nEOT" }
