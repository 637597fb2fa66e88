package platform

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Platform
	}{
		{"linux/amd64", Platform{OS: "linux", Architecture: "amd64"}},
		{"linux/arm64/v8", Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		{"linux/arm/v7", Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{"windows/amd64", Platform{OS: "windows", Architecture: "amd64"}},
		{"Linux/X86_64", Platform{OS: "Linux", Architecture: "X86_64"}}, // normalised by Matches, not Parse
		{"linux/arm64/v8.0", Platform{OS: "linux", Architecture: "arm64", Variant: "v8.0"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "empty"},
		{"linux", "not os/arch"},
		{"amd64", "not os/arch"},
		{"linux/arm/v7/extra", "not os/arch"},
		{"linux//v7", "each part"},
		{"linux/", "each part"},
		{"/amd64", "each part"},
		{"linux/amd 64", "each part"},
		{"linux/-amd64", "each part"},
		{"linux/amd64:v2", "each part"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}

// TestNormalize follows containerd's platforms.Normalize case by case.
func TestNormalize(t *testing.T) {
	tests := []struct{ in, want Platform }{
		{Platform{OS: "Linux", Architecture: "AMD64"}, Platform{OS: "linux", Architecture: "amd64"}},
		{Platform{OS: "linux", Architecture: "x86_64"}, Platform{OS: "linux", Architecture: "amd64"}},
		{Platform{OS: "linux", Architecture: "x86-64"}, Platform{OS: "linux", Architecture: "amd64"}},
		{Platform{OS: "linux", Architecture: "amd64", Variant: "v1"}, Platform{OS: "linux", Architecture: "amd64"}},
		{Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}},
		{Platform{OS: "linux", Architecture: "i386", Variant: "x"}, Platform{OS: "linux", Architecture: "386"}},
		{Platform{OS: "linux", Architecture: "aarch64"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "8"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "v8.0"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "9"}, Platform{OS: "linux", Architecture: "arm64", Variant: "v9"}},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "v9.0"}, Platform{OS: "linux", Architecture: "arm64", Variant: "v9"}},
		{Platform{OS: "linux", Architecture: "arm"}, Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Platform{OS: "linux", Architecture: "arm", Variant: "7"}, Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Platform{OS: "linux", Architecture: "arm", Variant: "6"}, Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{Platform{OS: "linux", Architecture: "arm", Variant: "V5"}, Platform{OS: "linux", Architecture: "arm", Variant: "v5"}},
		{Platform{OS: "linux", Architecture: "armhf"}, Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Platform{OS: "linux", Architecture: "armel"}, Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{Platform{OS: "macos", Architecture: "arm64"}, Platform{OS: "darwin", Architecture: "arm64"}},
		{Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.2340"}, Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.2340"}},
		{Platform{OS: "linux", Architecture: "riscv64"}, Platform{OS: "linux", Architecture: "riscv64"}},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		want, have string
		match      bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/amd64", "linux/x86_64", true},
		{"linux/x86_64", "linux/amd64", true},
		{"linux/amd64", "linux/amd64/v1", true},
		{"linux/amd64", "linux/amd64/v3", false}, // a variant is picked only when asked for
		{"linux/amd64/v3", "linux/amd64/v3", true},
		{"linux/amd64", "linux/arm64", false},
		{"linux/amd64", "windows/amd64", false},
		// arm64 is arm64/v8, whichever side says which.
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/aarch64", "linux/arm64/v8", true},
		{"linux/arm64", "linux/arm64/v9", false},
		// arm defaults to v7.
		{"linux/arm", "linux/arm/v7", true},
		{"linux/arm", "linux/arm", true},
		{"linux/arm/v7", "linux/arm", true},
		{"linux/arm", "linux/arm/v6", false},
		{"linux/arm/v6", "linux/arm/v7", false},
		{"linux/armhf", "linux/arm/v7", true},
		{"Linux/AMD64", "linux/amd64", true},
		{"darwin/arm64", "macos/arm64", true},
	}
	for _, tt := range tests {
		w, err := Parse(tt.want)
		if err != nil {
			t.Fatal(err)
		}
		h, err := Parse(tt.have)
		if err != nil {
			t.Fatal(err)
		}
		if got := Matches(w, h); got != tt.match {
			t.Errorf("Matches(%s, %s) = %v, want %v", tt.want, tt.have, got, tt.match)
		}
	}
	if Matches(Platform{OS: "linux", Architecture: "amd64"}, Platform{Architecture: "amd64"}) {
		t.Error("an entry without an os matched")
	}
	if Matches(Platform{}, Platform{}) {
		t.Error("empty platforms matched")
	}
}

func TestIsAttestation(t *testing.T) {
	unknown := &Platform{OS: "unknown", Architecture: "unknown"}
	linux := &Platform{OS: "linux", Architecture: "amd64"}
	tests := []struct {
		name        string
		p           *Platform
		annotations map[string]string
		want        bool
	}{
		{"unknown/unknown", unknown, nil, true},
		{"annotated", linux, map[string]string{AttestationAnnotation: AttestationManifest}, true},
		{"image", linux, nil, false},
		{"other reference type", linux, map[string]string{AttestationAnnotation: "something-else"}, false},
		{"no platform", nil, nil, false},
	}
	for _, tt := range tests {
		if got := IsAttestation(tt.p, tt.annotations); got != tt.want {
			t.Errorf("%s: IsAttestation = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	for p, want := range map[Platform]string{
		{OS: "linux", Architecture: "amd64"}:              "linux/amd64",
		{OS: "linux", Architecture: "arm", Variant: "v7"}: "linux/arm/v7",
		{}: "unknown/unknown",
		{OS: "windows", Architecture: "amd64", OSVersion: "10.0"}: "windows/amd64",
	} {
		if got := p.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", p, got, want)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it accepts prints
// back as itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm/v7", "a/b/c/d", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
	})
}
