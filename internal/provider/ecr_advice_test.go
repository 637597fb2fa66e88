package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
)

// TestECRChallengeAdvice proves the ecr advice is given exactly when ECR
// refused credentials that were not ECR's, and that it names the fix.
func TestECRChallengeAdvice(t *testing.T) {
	ecrChallenge := map[string]string{"realm": "https://" + ecrTestHost + "/", "service": "ecr.amazonaws.com"}
	tests := []struct {
		name          string
		host, scheme  string
		params        map[string]string
		username      string
		ecrConfigured bool
		want          []string // nil: no advice
	}{
		{"ECR challenge, no credentials", ecrTestHost, "Basic", ecrChallenge, "", false,
			[]string{ecrTestHost, "ecr block", "GetAuthorizationToken", "region (us-east-1)", "registry_id (123456789012)", "role_arn", "profile"}},
		{"ECR challenge, AWS keys as username", ecrTestHost, "basic", ecrChallenge, "AKIAIOSFODNN7EXAMPLE", false,
			[]string{"AWS access keys given as username and password are always refused"}},
		{"ECR challenge on a proxy host", "ecr.internal.example", "BASIC", map[string]string{"Service": "ECR.AMAZONAWS.COM"}, "", false,
			[]string{"ecr.internal.example", `region      = "<region>"`}},
		{"AWS key on an ECR host, challenge not parsed", ecrTestHost, "", nil, "ASIAIOSFODNN7EXAMPLE", false,
			[]string{"AWS access keys"}},
		{"AWS key on ECR Public", "public.ecr.aws", "Bearer", map[string]string{"service": "public.ecr.aws"}, "AKIAIOSFODNN7EXAMPLE", false,
			[]string{"us-east-1"}},
		{"ecr block configured", ecrTestHost, "Basic", ecrChallenge, "AWS", true, nil},
		{"other registry's Basic challenge", "registry.example.com", "Basic", map[string]string{"realm": "x"}, "alice", false, nil},
		{"Bearer challenge", ecrTestHost, "Bearer", map[string]string{"service": "ecr.amazonaws.com"}, "", false, nil},
		{"AWS key on a non-ECR host", "registry.example.com", "Basic", map[string]string{"realm": "x"}, "AKIAIOSFODNN7EXAMPLE", false, nil},
		{"look-alike host with AWS key", ecrTestHost + ".evil.example", "Basic", map[string]string{"realm": "x"}, "AKIAIOSFODNN7EXAMPLE", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, ok := ecrChallengeAdvice(tt.host, tt.scheme, tt.params, tt.username, tt.ecrConfigured)
			if ok != (tt.want != nil) {
				t.Fatalf("ecrChallengeAdvice ok = %v, want %v (msg %q)", ok, tt.want != nil, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("advice does not mention %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestECRCredentialAdvice proves that each GetAuthorizationToken (or
// AssumeRole) failure users hit gets advice naming what to change.
func TestECRCredentialAdvice(t *testing.T) {
	for _, tt := range []struct {
		err  ecr.Error
		want []string
	}{
		{ecr.Error{Op: "GetAuthorizationToken", Code: "InvalidSignatureException"}, []string{"secret access key", "AWS_SECRET_ACCESS_KEY"}},
		{ecr.Error{Op: "GetAuthorizationToken", Code: "AccessDeniedException"},
			[]string{`ecr:GetAuthorizationToken (on resource "*")`, "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}},
		{ecr.Error{Op: "GetAuthorizationToken", Code: "AccessDeniedException", Public: true}, []string{"ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"}},
		{ecr.Error{Op: "AssumeRole", Code: "AccessDenied"}, []string{"sts:AssumeRole", "trust policy", "external_id"}},
		{ecr.Error{Op: "GetAuthorizationToken", Code: "UnrecognizedClientException"}, []string{"access key id", "session_token"}},
		{ecr.Error{Op: "GetAuthorizationToken", Code: "ExpiredTokenException"}, []string{"expired", "aws sso login"}},
		{ecr.Error{Code: ecr.CodeNoCredentials}, []string{"access_key", "profile", "role_arn", "AWS_ACCESS_KEY_ID",
			"~/.aws/credentials", "aws sso login", "AWS_WEB_IDENTITY_TOKEN_FILE", "instance role"}},
		{ecr.Error{Code: ecr.CodeInvalidConfig}, []string{"profile"}},
		{ecr.Error{Op: "GetAuthorizationToken", Code: "ServiceUnavailableException"}, nil},
	} {
		got := ecrCredentialAdvice(&tt.err)
		if tt.want == nil && got != "" {
			t.Errorf("%s: advice %q for a code with nothing specific to say", tt.err.Code, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s: advice %q does not mention %q", tt.err.Op, tt.err.Code, got, w)
			}
		}
	}
}

// TestECRConfigAdvice proves that every ecr block NewSource refuses gets a
// sentence that says what is wrong and what to change.
func TestECRConfigAdvice(t *testing.T) {
	for _, tt := range []struct {
		cfg  ecr.Config
		host string
		want []string
	}{
		{ecr.Config{}, ecrTestHost + "/team/app", []string{"repository path", "Give the registry host only", `"` + ecrTestHost + `"`}},
		{ecr.Config{AccessKey: "AKIAIOSFODNN7EXAMPLE"}, ecrTestHost, []string{"Give access_key and secret_key together"}},
		{ecr.Config{Profile: "p", AccessKey: "AKIAIOSFODNN7EXAMPLE", SecretKey: "s"}, ecrTestHost, []string{"Remove profile."}},
		{ecr.Config{ExternalID: "x"}, ecrTestHost, []string{"Set role_arn in the ecr block."}},
		{ecr.Config{Region: "eu-west-1"}, ecrTestHost, []string{`"us-east-1"`, "Remove region (it defaults to the one in the address) or correct it."}},
		{ecr.Config{RegistryID: "123"}, ecrTestHost, []string{"12-digit", "Remove registry_id"}},
		{ecr.Config{Region: "eu-west-1"}, "public.ecr.aws", []string{"only in us-east-1", "Remove region."}},
		{ecr.Config{}, "registry.example.com", []string{"not an Amazon ECR hostname", "Set region (and registry_id)"}},
	} {
		_, err := ecr.NewSource(tt.cfg, tt.host)
		if err == nil {
			t.Fatalf("NewSource(%+v, %q) succeeded", tt.cfg, tt.host)
		}
		got := ecrConfigAdvice(err)
		if got[0] < 'A' || got[0] > 'Z' || !strings.HasSuffix(got, ".") {
			t.Errorf("advice %q is not a sentence", got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%q: advice %q does not mention %q", tt.host, got, w)
			}
		}
	}
	if got := ecrConfigAdvice(errors.New("ecr: something else")); got != "Something else." {
		t.Errorf("an error of another type became %q", got)
	}
}

// TestECRPullThroughAdvice: a failed first pull through a pull-through
// cache rule names the permissions and the rule, when the repository is
// under a usual prefix or the registry's message says so; other ECR
// repositories, other classes and other registries get nothing of it.
func TestECRPullThroughAdvice(t *testing.T) {
	const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	denied := "User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: ecr:BatchImportUpstreamImage on resource: x"
	for _, tt := range []struct {
		name string
		err  *registry.Error
		want []string // nil: no pull-through advice
	}{
		{"prefix, not found", &registry.Error{Class: registry.ClassNotFound, Registry: host, Repository: "docker-hub/library/nginx"},
			[]string{`"docker-hub/"`, "ecr:BatchImportUpstreamImage", "ecr:CreateRepository", `prefix "docker-hub" in eu-west-1`, "123456789012"}},
		{"the registry names the permission", &registry.Error{Class: registry.ClassDenied, Registry: host, Repository: "mirror/nginx", Messages: []string{denied}},
			[]string{"lack ecr:BatchImportUpstreamImage", "pull-through cache rule of registry 123456789012 in eu-west-1"}},
		{"the registry names the upstream", &registry.Error{Class: registry.ClassDenied, Registry: host, Repository: "mirror/nginx",
			Messages: []string{"The authentication to the upstream registry failed."}}, []string{"about an ECR pull-through cache rule", "Secrets Manager"}},
		{"plain ECR repository", &registry.Error{Class: registry.ClassNotFound, Registry: host, Repository: "team/app"}, nil},
		{"unauthorized", &registry.Error{Class: registry.ClassUnauthorized, Registry: host, Repository: "docker-hub/library/nginx"}, nil},
		{"not ECR", &registry.Error{Class: registry.ClassNotFound, Registry: "ghcr.io", Repository: "docker-hub/library/nginx"}, nil},
	} {
		msg, ok := ecrPullThroughAdvice(tt.err)
		if ok != (tt.want != nil) {
			t.Errorf("%s: advice given %v: %q", tt.name, ok, msg)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not mention %q", tt.name, msg, w)
			}
		}
		tt.err.Err = errors.New("cause")
		if _, advice := classAdvice(tt.err); ok && !strings.Contains(advice, msg) {
			t.Errorf("%s: the diagnostic's advice leaves it out: %q", tt.name, advice)
		}
	}
}
