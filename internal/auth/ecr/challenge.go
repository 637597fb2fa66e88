package ecr

import (
	"fmt"
	"regexp"
	"strings"
)

// ChallengeService is the service parameter of the Basic challenge every ECR
// registry sends: WWW-Authenticate: Basic realm="https://<host>/",service="ecr.amazonaws.com".
const ChallengeService = "ecr.amazonaws.com"

// accessKeyIDPattern matches AWS access key ids: long-term (AKIA) and
// temporary (ASIA) keys, 20 upper-case base32 characters in all.
var accessKeyIDPattern = regexp.MustCompile(`^(AKIA|ASIA)[A-Z2-7]{16}$`)

// LooksLikeAccessKeyID reports whether s has the shape of an AWS access key
// id. It exists to catch the commonest ECR mistake, AWS keys given as a
// registry username and password, which ECR always refuses.
func LooksLikeAccessKeyID(s string) bool {
	return accessKeyIDPattern.MatchString(strings.TrimSpace(s))
}

// IsChallenge reports whether a challenge (scheme and parameters as parsed
// from WWW-Authenticate, e.g. ggcr's transport.Challenge) is ECR's.
func IsChallenge(scheme string, params map[string]string) bool {
	if !strings.EqualFold(scheme, "basic") {
		return false
	}
	for k, v := range params {
		if strings.EqualFold(k, "service") && strings.EqualFold(v, ChallengeService) {
			return true
		}
	}
	return false
}

// ExplainChallenge returns advice for a registry that refused a request with
// 401, given its challenge (scheme and parameters), the username that was sent
// ("" for none) and whether an ecr block is configured for it. It answers only
// when the refusal is ECR's and ECR credentials were not in use: then no
// username and password can work, and the fix is the ecr block. A username
// that looks like an AWS access key id on an ECR host gets the same advice
// even if the challenge is not recognisable. ok is false when there is
// nothing ECR-specific to say.
func ExplainChallenge(host, scheme string, params map[string]string, username string, ecrConfigured bool) (msg string, ok bool) {
	if ecrConfigured {
		return "", false
	}
	h, isECRHost := ParseHost(host)
	awsKey := LooksLikeAccessKeyID(username)
	keysForECR := awsKey && (isECRHost || IsPublic(host))
	if !IsChallenge(scheme, params) && !keysForECR {
		return "", false
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s is an Amazon ECR registry: it accepts only a password from the ECR API "+
		"(GetAuthorizationToken), never a fixed username and password", host)
	if awsKey {
		b.WriteString(", and AWS access keys given as username and password are always refused")
	}
	b.WriteString(". Remove username and password for this registry (and any Docker config entry for it) and " +
		"configure it with an ecr block, which calls GetAuthorizationToken with AWS credentials:\n\n")
	fmt.Fprintf(&b, "  registry {\n    address = %q\n    ecr {\n", host)
	switch {
	case isECRHost:
		fmt.Fprintf(&b, "      # region (%s) and registry_id (%s) default to the ones in the address\n", h.Region, h.RegistryID)
	case IsPublic(host):
		b.WriteString("      # ECR Public: the token comes from ecr-public in us-east-1\n")
	default:
		b.WriteString("      region      = \"<region>\"\n      registry_id = \"<12-digit account id>\"\n")
	}
	b.WriteString("      profile     = \"<profile>\" # or role_arn (with external_id), or access_key and secret_key;\n" +
		"                                # with none of them, the default AWS credential chain is used\n" +
		"    }\n  }")
	return b.String(), true
}
