// Package platform parses, normalises and matches container platforms
// (os/architecture/variant) the way containerd does, so that a platform
// written for `docker pull --platform` picks the same image here.
//
// It never does I/O and depends on nothing outside the standard library.
package platform

import (
	"fmt"
	"regexp"
	"strings"
)

// Platform is the platform of an image, as an index entry or an image config
// states it.
type Platform struct {
	OS           string
	Architecture string
	Variant      string
	// OSVersion is reported (Windows images carry one) but never matched:
	// the os/arch[/variant] form has no place for it.
	OSVersion string
}

// component is what Parse accepts for each part: containerd's specifier
// grammar (letters, digits, '_' and '-', and '.' for variants like v8.0).
var component = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Parse reads "os/arch" or "os/arch/variant", e.g. "linux/arm64/v8". It does
// not normalise: see Normalize.
func Parse(s string) (Platform, error) {
	if s == "" {
		return Platform{}, fmt.Errorf("platform is empty: write os/arch[/variant], e.g. \"linux/amd64\" or \"linux/arm64/v8\"")
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("platform %q is not os/arch[/variant]: write e.g. \"linux/amd64\" or \"linux/arm/v7\"", s)
	}
	for _, p := range parts {
		if !component.MatchString(p) {
			return Platform{}, fmt.Errorf("platform %q is not os/arch[/variant]: each part is letters, digits, '.', '_' or '-', e.g. \"linux/arm64/v8\"", s)
		}
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// String is "os/arch" or "os/arch/variant", with "unknown" for an absent os
// or architecture.
func (p Platform) String() string {
	os, arch := p.OS, p.Architecture
	if os == "" {
		os = "unknown"
	}
	if arch == "" {
		arch = "unknown"
	}
	s := os + "/" + arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Normalize returns p as containerd's platforms.Normalize writes it:
// lower case; "macos" is "darwin"; x86_64 and x86-64 are amd64 (whose "v1"
// variant is the baseline, so none); i386 is 386; aarch64 is arm64, whose
// v8 is the baseline (so none) and 9 or v9.0 is v9; armhf is arm/v7, armel
// arm/v6; arm without a variant is arm/v7, and a bare number n is vn. An
// empty os stays empty: unlike containerd, no host default is filled in.
func Normalize(p Platform) Platform {
	p.OS = strings.ToLower(p.OS)
	if p.OS == "macos" {
		p.OS = "darwin"
	}
	arch, variant := strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch arch {
	case "i386":
		arch, variant = "386", ""
	case "x86_64", "x86-64", "amd64":
		arch = "amd64"
		if variant == "v1" {
			variant = ""
		}
	case "aarch64", "arm64":
		arch = "arm64"
		switch variant {
		case "8", "v8", "v8.0":
			variant = ""
		case "9", "9.0", "v9.0":
			variant = "v9"
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	}
	p.Architecture, p.Variant = arch, variant
	return p
}

// Matches reports whether an image of platform have satisfies a request for
// platform want: after normalising both, os, architecture and variant are
// equal. So "linux/arm64" and "linux/arm64/v8" match each other, and
// "linux/arm" means "linux/arm/v7". OSVersion is not compared. A platform
// with an empty os or architecture matches nothing.
func Matches(want, have Platform) bool {
	w, h := Normalize(want), Normalize(have)
	if w.OS == "" || w.Architecture == "" || h.OS == "" || h.Architecture == "" {
		return false
	}
	return w.OS == h.OS && w.Architecture == h.Architecture && w.Variant == h.Variant
}

// AttestationAnnotation is the annotation BuildKit puts on the index entries
// that hold attestations (provenance, SBOMs), with the value
// AttestationManifest.
const (
	AttestationAnnotation = "vnd.docker.reference.type"
	AttestationManifest   = "attestation-manifest"
)

// IsAttestation reports whether an index entry holds attestations rather than
// an image: BuildKit gives such entries the platform unknown/unknown and the
// annotation vnd.docker.reference.type=attestation-manifest.
func IsAttestation(p *Platform, annotations map[string]string) bool {
	if annotations[AttestationAnnotation] == AttestationManifest {
		return true
	}
	return p != nil && p.OS == "unknown" && p.Architecture == "unknown"
}
