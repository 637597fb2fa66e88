package dialect

import (
	"net/http"
	"time"
)

// GitLabAccessDenied is gitlab.com's answer to a wrong password or token at
// /jwt/auth (https://github.com/basecamp/kamal/issues/1498).
const GitLabAccessDenied = "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped. See https://gitlab.com/help/user/profile/account/two_factor_authentication_troubleshooting.md#error-http-basic-access-denied-if-a-password-was-provided-for-git-authentication-"

// GitLab is GitLab's container registry (registry.gitlab.com) with its
// token service on the GitLab host (gitlab.com/jwt/auth).
//
//   - /v2/ without a token: 401 application/json; charset=utf-8
//     {"errors":[{"code":"UNAUTHORIZED","message":"authentication
//     required","detail":null}]} and Bearer
//     realm="https://gitlab.com/jwt/auth",service="container_registry"
//     (https://github.com/swarmpit/swarmpit/issues/572, Content-Length 87,
//     https://github.com/dotnet/sdk-container-builds/issues/284).
//   - Wrong credentials at /jwt/auth: 401 UNAUTHORIZED GitLabAccessDenied.
//     The token answer is not shown beyond a 200 (the front sends
//     {"token": ...}); its lifetime is not shown (5 minutes here).
//   - The registry is distribution's fork: a token without access gets
//     401 with insufficient_scope, missing repositories included; unknown
//     tags and an Accept without the stored type get distribution's
//     answers (https://github.com/sergi0g/cup/issues/132).
//   - HEAD misbehaviour (MisbehaveHEAD): a virtual registry redirects a
//     manifest HEAD to object storage presigned for GET, which answers 403
//     (https://github.com/moby/moby/issues/50065).
//   - Blobs: served, or redirected to object storage (S3 behind GitLab
//     Dedicated, same issue): RedirectBlobs(RedirectCDN).
func GitLab() *Dialect {
	return &Dialect{
		Name: "GitLab",
		Token: &TokenService{
			Path:     "/jwt/auth",
			Separate: true,
			Body:     tokenOnly,
			TTL:      5 * time.Minute,
			WrongCredentials: func(*Call) Reply {
				return jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", GitLabAccessDenied)
			},
		},
		Challenge: serviceChallenge("container_registry"),
		Blobs:     Blobs{CDN: CDNS3},
		HEAD:      HeadRedirectGET,
	}
}
