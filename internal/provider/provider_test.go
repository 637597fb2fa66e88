package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/tfcli"
)

// testAccProviders serves the provider in-process to the Terraform or OpenTofu
// binary that terraform-plugin-testing runs (TF_ACC_TERRAFORM_PATH; never
// downloaded), through TF_REATTACH_PROVIDERS: no dev_overrides are involved.
var testAccProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"imageinfo": providerserver.NewProtocol6WithError(New("test")()),
}

func TestMain(m *testing.M) {
	// Terraform (or OpenTofu) must never look anything up on the internet,
	// and must not pick up the developer's own CLI configuration
	// (dev_overrides, mirrors).
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
	if os.Getenv("TF_ACC") != "" {
		if err := setProviderAddress(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
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

// setProviderAddress makes terraform-plugin-testing serve the provider under
// the address `source = "imageinfo/imageinfo"` means to the CLI under test:
// <TF_ACC_PROVIDER_HOST>/<TF_ACC_PROVIDER_NAMESPACE>/imageinfo, in
// TF_REATTACH_PROVIDERS and in the required_providers block it writes. Left
// to itself it uses registry.terraform.io with both the "hashicorp" and the
// legacy "-" namespace, and OpenTofu refuses "-" on any host but its own
// registry: its `init` fails before a test starts. A value already set in the
// environment wins.
func setProviderAddress() error {
	if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
		os.Setenv("TF_ACC_PROVIDER_NAMESPACE", tfcli.Namespace)
	}
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" || os.Getenv("TF_ACC_PROVIDER_HOST") != "" {
		return nil
	}
	cli, err := tfcli.Detect(context.Background(), path)
	if err != nil {
		return fmt.Errorf("TF_ACC_TERRAFORM_PATH: %w", err)
	}
	os.Setenv("TF_ACC_PROVIDER_HOST", cli.Registry())
	return nil
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
