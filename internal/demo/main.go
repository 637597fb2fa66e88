// Command demo is what `make demo` runs: it starts the reference registry
// in-process on 127.0.0.1 with token authentication and a few sample images,
// points Terraform or OpenTofu at the locally built provider through
// dev_overrides, runs `apply` on examples/demo, and stops the registry.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/tfcli"
)

const (
	demoUser     = "demo"
	demoPassword = "demo-password-not-a-secret"
)

func main() {
	providerDir := flag.String("provider-dir", "bin", "directory holding the built terraform-provider-imageinfo binary")
	configDir := flag.String("config", "examples/demo", "directory of the Terraform configuration to apply")
	terraform := flag.String("terraform", "terraform", "Terraform or OpenTofu binary (>= 1.8)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *providerDir, *configDir, *terraform); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, providerDir, configDir, terraform string) error {
	providerDir, err := filepath.Abs(providerDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(providerDir, "terraform-provider-imageinfo")); err != nil {
		return fmt.Errorf("no provider binary in %s: run `make build` first (%w)", providerDir, err)
	}
	cli, err := tfcli.Detect(ctx, terraform)
	if err != nil {
		return err
	}

	reg, err := registrytest.Start(ctx, registrytest.Options{
		Auth:               registrytest.AuthToken,
		Users:              map[string]string{demoUser: demoPassword},
		PublicRepositories: []string{"public/*"},
	})
	if err != nil {
		return fmt.Errorf("starting the demo registry: %w", err)
	}
	defer reg.Close()
	fmt.Printf("demo registry on %s, token server at %s; running %s (%s)\n", reg.URL, reg.TokenURL, cli, cli.Path)

	if _, err := reg.PushIndex(ctx, "demo/web:1.0", []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
	}, registrytest.WithAnnotations(map[string]string{"org.opencontainers.image.source": "https://example.com/web"})); err != nil {
		return fmt.Errorf("pushing demo/web: %w", err)
	}
	if _, err := reg.PushImage(ctx, "demo/api:2.3", registrytest.WithMediaType(registrytest.Docker)); err != nil {
		return fmt.Errorf("pushing demo/api: %w", err)
	}
	if _, err := reg.PushImage(ctx, "public/tools:latest"); err != nil {
		return fmt.Errorf("pushing public/tools: %w", err)
	}

	work, err := os.MkdirTemp("", "imageinfo-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// The provider under both registry hosts: Terraform reads
	// "imageinfo/imageinfo" as registry.terraform.io/..., OpenTofu as
	// registry.opentofu.org/....
	cliConfig := filepath.Join(work, "terraformrc")
	if err := tfcli.WriteDevOverrides(cliConfig, providerDir); err != nil {
		return err
	}
	// Apply in a copy, so the example directory gets no state files.
	tfDir := filepath.Join(work, "config")
	if err := os.CopyFS(tfDir, os.DirFS(configDir)); err != nil {
		return fmt.Errorf("copying %s: %w", configDir, err)
	}

	// dev_overrides needs no `init`, and init would try the network.
	//nolint:gosec // The binary is the one the developer chose with -terraform.
	cmd := exec.CommandContext(ctx, cli.Path, "apply", "-auto-approve", "-input=false", "-no-color",
		"-var", "registry="+reg.Host, "-var", "username="+demoUser, "-var", "password="+demoPassword)
	cmd.Dir = tfDir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%s apply failed (exit %d)", cli.Name, exit.ExitCode())
		}
		return fmt.Errorf("running %s: %w", cli.Path, err)
	}
	fmt.Printf("\nThe registry received %d requests; it stops now.\n", len(reg.Requests.All()))
	return nil
}
