// Package tfcli holds what this project's own programs (the demo, the plan
// benchmark, the acceptance tests) need to drive either CLI that runs
// providers: Terraform or OpenTofu. It renders the CLI configuration that
// points both at a local build, and tells the two CLIs apart.
package tfcli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const (
	// Namespace and Type make up the provider's source address,
	// "imageinfo/imageinfo", after the registry host.
	Namespace = "imageinfo"
	Type      = "imageinfo"

	// TerraformRegistry is the host that Terraform puts in front of a source
	// address without one; OpenTofuRegistry is OpenTofu's.
	TerraformRegistry = "registry.terraform.io"
	OpenTofuRegistry  = "registry.opentofu.org"
)

// Hosts are the registry hosts that `source = "imageinfo/imageinfo"` means,
// one per CLI.
var Hosts = []string{TerraformRegistry, OpenTofuRegistry}

// Address is the provider's full source address under a registry host.
func Address(host string) string { return host + "/" + Namespace + "/" + Type }

// DevOverrides renders a CLI configuration file that makes Terraform and
// OpenTofu alike run the provider binary in providerDir, under the address
// each CLI gives "imageinfo/imageinfo". Other providers install as usual.
// Neither CLI then needs, or accepts, `init` for this provider.
func DevOverrides(providerDir string) string {
	return DevOverridesOf(map[string]string{Namespace + "/" + Type: providerDir})
}

// DevOverridesOf is DevOverrides for several providers: dirs maps a source
// address without its host ("kreuzwerker/docker") to the directory of its
// binary, and each is overridden under both registry hosts.
func DevOverridesOf(dirs map[string]string) string {
	sources := make([]string, 0, len(dirs))
	for source := range dirs {
		sources = append(sources, source)
	}
	sort.Strings(sources)
	var b strings.Builder
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, source := range sources {
		for _, host := range Hosts {
			fmt.Fprintf(&b, "    %q = %q\n", host+"/"+source, dirs[source])
		}
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return b.String()
}

// WriteDevOverrides writes DevOverrides(providerDir) to path, readable by its
// owner only.
func WriteDevOverrides(path, providerDir string) error {
	return os.WriteFile(path, []byte(DevOverrides(providerDir)), 0o600)
}

// CLI is a Terraform or OpenTofu binary, as its `version` command describes it.
type CLI struct {
	Path    string
	Name    string // "Terraform" or "OpenTofu"
	Version string // "1.11.4", without the "v"
}

// OpenTofu reports whether the binary is OpenTofu.
func (c CLI) OpenTofu() bool { return c.Name == "OpenTofu" }

// Registry is the host this CLI puts in front of "imageinfo/imageinfo".
func (c CLI) Registry() string {
	if c.OpenTofu() {
		return OpenTofuRegistry
	}
	return TerraformRegistry
}

func (c CLI) String() string { return c.Name + " v" + c.Version }

// MinMinor is the oldest 1.x release of either CLI that the project supports:
// provider functions need Terraform 1.8 (OpenTofu has them from 1.7; 1.8 is
// asked of both, to keep one rule).
const MinMinor = 8

var versionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)(\S*)`)

// Parse reads the first line of `terraform version` or `tofu version`.
func Parse(path, output string) (CLI, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(output), "\n")
	m := versionLine.FindStringSubmatch(strings.TrimSpace(first))
	if m == nil {
		return CLI{}, fmt.Errorf("%s is neither Terraform nor OpenTofu: `version` printed %q", path, first)
	}
	c := CLI{Path: path, Name: m[1], Version: m[2] + "." + m[3] + "." + m[4] + m[5]}
	major, _ := strconv.Atoi(m[2])
	minor, _ := strconv.Atoi(m[3])
	if major < 1 || (major == 1 && minor < MinMinor) {
		return c, fmt.Errorf("%s is %s: this project needs Terraform or OpenTofu >= 1.%d", path, c, MinMinor)
	}
	return c, nil
}

// Detect runs `path version` (with no version check against the internet) and
// parses its answer.
func Detect(ctx context.Context, path string) (CLI, error) {
	cmd := exec.CommandContext(ctx, path, "version") //nolint:gosec // The developer chose the binary.
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return CLI{}, fmt.Errorf("running %s version: %w", path, err)
	}
	return Parse(path, string(out))
}
