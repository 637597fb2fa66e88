package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/tfcli"
)

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
