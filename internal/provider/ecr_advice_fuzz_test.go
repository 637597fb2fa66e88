package provider

import (
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
)

// FuzzChallenge feeds ecr.IsChallenge and ecrChallengeAdvice what a registry's
// WWW-Authenticate could parse into, and the host and username they are
// given: they never panic, advice names the host, depends on the username
// only through whether it looks like an AWS access key id (so it can never
// show one), is never given when ecr is configured, and only a Basic
// challenge is ever ECR's.
func FuzzChallenge(f *testing.F) {
	f.Add("123456789012.dkr.ecr.us-east-1.amazonaws.com", "Basic", "service", "ecr.amazonaws.com", "", false)
	f.Add("public.ecr.aws", "Bearer", "realm", "https://public.ecr.aws/token/", "AKIAIOSFODNN7EXAMPLE", false)
	f.Add("ecr.internal.example", "BASIC", "Service", "ECR.AMAZONAWS.COM", "AWS", true)
	f.Add("registry.example.com", "Basic", "realm", "x", "ASIAIOSFODNN7EXAMPLE", false)
	f.Fuzz(func(t *testing.T, host, scheme, key, value, username string, ecrConfigured bool) {
		params := map[string]string{key: value}
		is := ecr.IsChallenge(scheme, params)
		if is && !strings.EqualFold(scheme, "basic") {
			t.Fatalf("ecr.IsChallenge(%q, %v) for a scheme other than Basic", scheme, params)
		}
		msg, ok := ecrChallengeAdvice(host, scheme, params, username, ecrConfigured)
		switch {
		case ok && ecrConfigured:
			t.Fatalf("advice given although ecr is configured: %q", msg)
		case ok && !strings.Contains(msg, host):
			t.Fatalf("advice for %q does not name it: %q", host, msg)
		case !ok && msg != "":
			t.Fatalf("no advice, but a message: %q", msg)
		case is && !ecrConfigured && !ok:
			t.Fatalf("an ECR challenge without ecr configured got no advice")
		}
		other := "someone"
		if ecr.LooksLikeAccessKeyID(username) {
			other = "AKIAAAAAAAAAAAAAAAAA"
		}
		if msg2, ok2 := ecrChallengeAdvice(host, scheme, params, other, ecrConfigured); msg2 != msg || ok2 != ok {
			t.Fatalf("the advice for username %q differs from that for %q:\n%s\n%s", username, other, msg, msg2)
		}
	})
}
