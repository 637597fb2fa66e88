package ecr

import (
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
	return challengeOf(scheme, params, "basic", ChallengeService)
}

// IsPublicChallenge reports whether a challenge is ECR Public's: Bearer with
// service="public.ecr.aws" (PublicHost), whatever host sent it, as a mirror or
// a stand-in does. ECR Public's token service also takes only a password from
// the ECR Public API.
func IsPublicChallenge(scheme string, params map[string]string) bool {
	return challengeOf(scheme, params, "bearer", PublicHost)
}

// challengeOf reports whether a challenge has the scheme and names the
// service, both compared without regard to case.
func challengeOf(scheme string, params map[string]string, wantScheme, service string) bool {
	if !strings.EqualFold(scheme, wantScheme) {
		return false
	}
	for k, v := range params {
		if strings.EqualFold(k, "service") && strings.EqualFold(v, service) {
			return true
		}
	}
	return false
}
