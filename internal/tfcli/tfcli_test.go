package tfcli

import (
	"strings"
	"testing"
)

// Both CLIs must find the local build: Terraform resolves
// "imageinfo/imageinfo" on registry.terraform.io, OpenTofu on
// registry.opentofu.org, and a dev_overrides entry for one host does nothing
// for the other: OpenTofu would look for the provider in its registry
// instead of using the local build.
func TestDevOverridesCoversBothHosts(t *testing.T) {
	got := DevOverrides("/opt/my dir/bin")
	want := `provider_installation {
  dev_overrides {
    "registry.terraform.io/imageinfo/imageinfo" = "/opt/my dir/bin"
    "registry.opentofu.org/imageinfo/imageinfo" = "/opt/my dir/bin"
  }
  direct {}
}
`
	if got != want {
		t.Errorf("DevOverrides:\n%s\nwant:\n%s", got, want)
	}
	// A path is quoted as an HCL string, so quotes and backslashes survive.
	if got := DevOverrides(`C:\a "b"`); !strings.Contains(got, `= "C:\\a \"b\""`) {
		t.Errorf("DevOverrides did not escape the path:\n%s", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, output string
		want         CLI
		registry     string
		wantErr      string
	}{
		{
			name:     "terraform",
			output:   "Terraform v1.11.4\non linux_amd64\n",
			want:     CLI{Path: "tf", Name: "Terraform", Version: "1.11.4"},
			registry: TerraformRegistry,
		},
		{
			name:     "opentofu release",
			output:   "OpenTofu v1.10.10\non linux_amd64\n",
			want:     CLI{Path: "tf", Name: "OpenTofu", Version: "1.10.10"},
			registry: OpenTofuRegistry,
		},
		{
			name:     "opentofu built without release flags",
			output:   "OpenTofu v1.10.10-dev\non linux_amd64\n",
			want:     CLI{Path: "tf", Name: "OpenTofu", Version: "1.10.10-dev"},
			registry: OpenTofuRegistry,
		},
		{
			name:     "two-digit major is not a 0.x",
			output:   "Terraform v10.0.0\n",
			want:     CLI{Path: "tf", Name: "Terraform", Version: "10.0.0"},
			registry: TerraformRegistry,
		},
		{name: "too old for provider functions", output: "Terraform v1.7.5\non linux_amd64\n", wantErr: "needs Terraform or OpenTofu >= 1.8"},
		{name: "opentofu too old", output: "OpenTofu v1.6.2\n", wantErr: "is OpenTofu v1.6.2"},
		{name: "something else", output: "Usage: foo\n", wantErr: "neither Terraform nor OpenTofu"},
		{name: "empty", output: "", wantErr: "neither Terraform nor OpenTofu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("tf", tt.output)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.output, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.output, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.output, got, tt.want)
			}
			if got.Registry() != tt.registry {
				t.Errorf("Registry() = %q, want %q", got.Registry(), tt.registry)
			}
		})
	}
}

// TestDevOverridesOfSeveralProviders: each provider is overridden under both
// hosts, in a stable order.
func TestDevOverridesOfSeveralProviders(t *testing.T) {
	got := DevOverridesOf(map[string]string{"kreuzwerker/docker": "/p", "imageinfo/imageinfo": "/i"})
	want := "provider_installation {\n  dev_overrides {\n" +
		`    "registry.terraform.io/imageinfo/imageinfo" = "/i"` + "\n" +
		`    "registry.opentofu.org/imageinfo/imageinfo" = "/i"` + "\n" +
		`    "registry.terraform.io/kreuzwerker/docker" = "/p"` + "\n" +
		`    "registry.opentofu.org/kreuzwerker/docker" = "/p"` + "\n" +
		"  }\n  direct {}\n}\n"
	if got != want {
		t.Errorf("DevOverridesOf:\n%s\nwant:\n%s", got, want)
	}
}
