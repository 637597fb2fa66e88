package dialect

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ACRRefreshUser is the username that tells ACR the password is a refresh
// token (https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md).
const ACRRefreshUser = "00000000-0000-0000-0000-000000000000"

// ACR is Azure Container Registry, <name>.azurecr.io; the token service is
// on the registry's host. Front.RefreshToken mints ACR refresh tokens.
//
// From https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md and
// https://github.com/Azure/acr/blob/main/docs/Token-BasicAuth.md:
//
//   - Challenge: Bearer realm="https://<host>/oauth2/token",service="<host>",
//     scope="repository:<name>:pull"; 401 body UNAUTHORIZED "authentication
//     required" whose detail lists Type, Name and Action (no Class).
//   - GET /oauth2/token with Basic credentials, or with username
//     00000000-0000-0000-0000-000000000000 and a refresh token as the
//     password; POST /oauth2/token with grant_type=refresh_token, service,
//     scope and refresh_token. Both answer {"access_token": ...} only.
//   - Basic credentials sent straight to the registry are accepted.
//   - Tag paging: Link </v2/<name>/tags/list?last=X&n=N&orderby=>.
//
// And elsewhere:
//
//   - Unknown tag: 404 MANIFEST_UNKNOWN `manifest tagged by "T" is not
//     found` with detail {"Tag": "T"}
//     (https://github.com/MicrosoftDocs/azure-docs/issues/90060, from MCR,
//     which runs on ACR).
//   - Accept without the stored type: distribution's "OCI manifest found,
//     but accept header does not support OCI manifests"
//     (https://github.com/Azure/acr/pull/764).
//   - Blobs: 307 to Azure Blob Storage, which refuses an Authorization
//     header with 400 InvalidAuthenticationInfo
//     (https://github.com/Azure/acr/issues/217,
//     https://github.com/Azure/iothub-explorer/issues/58).
//   - Wrong credentials at the token service, token lifetime and a missing
//     repository: not shown; the front answers 401 UNAUTHORIZED
//     "authentication required", lets tokens live 75 minutes (the access
//     token claims in AAD-OAuth.md span 75 minutes) and sends
//     distribution's 404 NAME_UNKNOWN.
func ACR() *Dialect {
	unauthorized := func(c *Call, errParam string) Reply {
		type access struct{ Type, Name, Action string }
		var detail any
		if c.Repo != "" {
			detail = []access{{Type: "repository", Name: c.Repo, Action: "pull"}}
		}
		return withChallenge(c, errParam, jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", "authentication required", detail))
	}
	return &Dialect{
		Name: "ACR",
		Token: &TokenService{
			Path:  "/oauth2/token",
			Body:  func(t string, _ time.Duration, _ time.Time) map[string]any { return map[string]any{"access_token": t} },
			TTL:   75 * time.Minute,
			OAuth: true,
			WrongCredentials: func(*Call) Reply {
				return jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", "authentication required")
			},
		},
		Challenge:    hostChallenge,
		Ping:         func(c *Call) Reply { return unauthorized(c, "") },
		Unauthorized: func(c *Call) Reply { return unauthorized(c, "") },
		Denied:       func(c *Call) Reply { return unauthorized(c, "insufficient_scope") },
		InvalidToken: func(c *Call) Reply { return unauthorized(c, "invalid_token") },
		BasicOnRegistry: func(c *Call, v Verdict) (bool, Reply) {
			return v == Valid, unauthorized(c, "")
		},
		MissingRepo: func(c *Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "NAME_UNKNOWN", "repository name not known to registry", map[string]string{"name": c.Repo})
		},
		MissingManifest: func(c *Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "MANIFEST_UNKNOWN", fmt.Sprintf("manifest tagged by %q is not found", c.Ref), map[string]string{"Tag": c.Ref})
		},
		Tags: Paging{
			Link: func(c *Call, n int, cursor string) string {
				return tagsPath(c.Repo) + "?last=" + url.QueryEscape(cursor) + "&n=" + strconv.Itoa(n) + "&orderby="
			},
		},
		Blobs: Blobs{Redirect: RedirectCDN, CDN: CDNAzure},
	}
}
