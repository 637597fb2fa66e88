package ecr

import (
	"strings"
	"testing"
)

// TestLooksLikeAccessKeyID proves long-term and temporary key ids are
// recognised and other usernames are not.
func TestLooksLikeAccessKeyID(t *testing.T) {
	tests := map[string]bool{
		"AKIAIOSFODNN7EXAMPLE":  true,
		"ASIAIOSFODNN7EXAMPLE":  true,
		" AKIAIOSFODNN7EXAMPLE": true,
		"akiaiosfodnn7example":  false,
		"AKIAIOSFODNN7EXAMPL":   false,
		"AKIAIOSFODNN7EXAMPLE1": false,
		"AIDAIOSFODNN7EXAMPLE":  false,
		"AKIAIOSFODNN7EXAMPL1":  false, // 1 is not base32
		"AWS":                   false,
		"":                      false,
	}
	for s, want := range tests {
		if got := LooksLikeAccessKeyID(s); got != want {
			t.Errorf("LooksLikeAccessKeyID(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestExplainChallenge proves the ecr advice is given exactly when ECR
// refused credentials that were not ECR's, and that it names the fix.
func TestExplainChallenge(t *testing.T) {
	ecrChallenge := map[string]string{"realm": "https://" + testHost + "/", "service": "ecr.amazonaws.com"}
	tests := []struct {
		name          string
		host, scheme  string
		params        map[string]string
		username      string
		ecrConfigured bool
		want          []string // nil: no advice
	}{
		{"ECR challenge, no credentials", testHost, "Basic", ecrChallenge, "", false,
			[]string{testHost, "ecr block", "GetAuthorizationToken", "region (us-east-1)", "registry_id (123456789012)", "role_arn", "profile"}},
		{"ECR challenge, AWS keys as username", testHost, "basic", ecrChallenge, "AKIAIOSFODNN7EXAMPLE", false,
			[]string{"AWS access keys given as username and password are always refused"}},
		{"ECR challenge on a proxy host", "ecr.internal.example", "BASIC", map[string]string{"Service": "ECR.AMAZONAWS.COM"}, "", false,
			[]string{"ecr.internal.example", `region      = "<region>"`}},
		{"AWS key on an ECR host, challenge not parsed", testHost, "", nil, "ASIAIOSFODNN7EXAMPLE", false,
			[]string{"AWS access keys"}},
		{"AWS key on ECR Public", "public.ecr.aws", "Bearer", map[string]string{"service": "public.ecr.aws"}, "AKIAIOSFODNN7EXAMPLE", false,
			[]string{"us-east-1"}},
		{"ecr block configured", testHost, "Basic", ecrChallenge, "AWS", true, nil},
		{"other registry's Basic challenge", "registry.example.com", "Basic", map[string]string{"realm": "x"}, "alice", false, nil},
		{"Bearer challenge", testHost, "Bearer", map[string]string{"service": "ecr.amazonaws.com"}, "", false, nil},
		{"AWS key on a non-ECR host", "registry.example.com", "Basic", map[string]string{"realm": "x"}, "AKIAIOSFODNN7EXAMPLE", false, nil},
		{"look-alike host with AWS key", testHost + ".evil.example", "Basic", map[string]string{"realm": "x"}, "AKIAIOSFODNN7EXAMPLE", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, ok := ExplainChallenge(tt.host, tt.scheme, tt.params, tt.username, tt.ecrConfigured)
			if ok != (tt.want != nil) {
				t.Fatalf("ExplainChallenge ok = %v, want %v (msg %q)", ok, tt.want != nil, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("advice does not mention %q:\n%s", w, msg)
				}
			}
		})
	}
}
