package auth

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
)

// TestECRHosts: ECR hostnames with nothing configured get ECR credentials
// from the default chain; look-alikes, other registries and ECR Public
// (anonymous pulls) are left to the next step.
func TestECRHosts(t *testing.T) {
	kc := ECRHosts{Cache: &ecr.Cache{}}
	for host, wantECR := range map[string]bool{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com":              true,
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com":     true,
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn":          true,
		"123456789012.dkr-ecr.eu-west-1.on.aws":                     true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example": false,
		"public.ecr.aws": false,
		"ghcr.io":        false,
	} {
		reg, err := name.NewRegistry(host)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(reg)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		o := OriginOf(a)
		kind, source := o.Kind, o.Source
		if got := kind == KindECR; got != wantECR {
			t.Errorf("%s: kind %q (%s), want ECR %v", host, kind, source, wantECR)
		}
		if !wantECR && a != authn.Anonymous {
			t.Errorf("%s: got %v, want anonymous", host, a)
		}
	}
}

// TestPrecedence: a registry block with credentials wins over the ECR
// hostname rule; a block with only connection settings does not.
func TestPrecedence(t *testing.T) {
	host := "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	kc := Keychain(NewStatic(map[string]Credentials{
		host: {},
		"210987654321.dkr.ecr.us-east-1.amazonaws.com": {Username: "AWS", Password: "pasted"},
	}), ECRHosts{Cache: &ecr.Cache{}})
	for h, want := range map[string]string{host: KindECR, "210987654321.dkr.ecr.us-east-1.amazonaws.com": KindBasic} {
		reg, _ := name.NewRegistry(h)
		a, err := kc.Resolve(reg)
		if err != nil {
			t.Fatal(err)
		}
		if o := OriginOf(a); o.Kind != want {
			t.Errorf("%s: %s (%s), want %s", h, o.Kind, o.Source, want)
		}
	}
}
