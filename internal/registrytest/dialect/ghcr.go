package dialect

import (
	"net/http"
	"time"
)

// GHCR is GitHub's ghcr.io.
//
//   - Challenge: Bearer realm="https://ghcr.io/token",service="ghcr.io"; on
//     /v2/ it carries a placeholder scope="repository:user/image:pull"
//     (https://github.com/cloudflare/serverless-registry/issues/148,
//     https://github.com/oras-project/oras/issues/1128). 401 bodies are
//     {"errors":[{"code":"UNAUTHORIZED","message":"authentication
//     required"}]} without detail
//     (https://github.com/Mic92/niks3/issues/229); oras#1128's
//     Content-Length 73 is this body and its newline.
//   - Every pull needs a token, anonymous ones for public images too
//     (https://github.com/termoshtt/ocipkg/issues/41). The answer is
//     {"token": ...} without expires_in
//     (https://github.com/oras-project/rust-oci-client/pull/6), and the
//     token is not a JWT
//     (https://github.com/radius-project/radius/pull/12623). The lifetime
//     is not documented; the front uses 5 minutes.
//   - Anonymous token for a private (or missing) package: 401
//     (https://github.com/openai/tunnel-client/issues/75; the body there
//     is not shown, the front sends UNAUTHORIZED "authentication
//     required").
//   - Wrong or expired personal access token at the token service: 403
//     {"errors":[{"code":"DENIED","message":"requested access to the
//     resource is denied"}]}
//     (https://github.com/Bossett/bsky-feeds/pull/155,
//     https://github.com/akuity/kargo/pull/778,
//     https://github.com/apple/container/issues/183; oras#1128's 403 of 86
//     bytes is this body).
//   - Basic credentials sent to the registry itself: DENIED "invalid
//     token", without a challenge
//     (https://github.com/argoproj-labs/argocd-image-updater/issues/303,
//     https://github.com/renovatebot/renovate/issues/11446; the status is
//     not shown, the front answers 403). A bearer value that is
//     base64(user:PAT) is accepted as those credentials (same argocd
//     issue).
//   - Unknown tag: MANIFEST_UNKNOWN "manifest unknown"
//     (https://github.com/basecamp/once-campfire/issues/14). Accept without
//     the stored type: "OCI index found, but Accept header does not support
//     OCI indexes" with a capital A
//     (https://github.com/argoproj-labs/argocd-image-updater/issues/522).
//   - Rate limit: 429 TOOMANYREQUESTS "retry-after: 880.092µs, allowed:
//     44000/minute", the wait in the message
//     (https://github.com/dependabot/cli/issues/380,
//     https://github.com/falcosecurity/plugins/issues/1069).
//   - Blobs: 307 to S3 (github-production-container-registry.s3.amazonaws.com),
//     where HEAD is 403 (https://github.com/containerd/stargz-snapshotter/pull/167).
//   - Tag paging: Link pagination exists
//     (https://github.com/werf/werf/pull/3671); its exact form and page
//     size without n are not shown; the front uses distribution's.
//   - Missing repository for a signed-in user: not shown; the front
//     answers distribution's 404 NAME_UNKNOWN.
func GHCR() *Dialect {
	unauthorized := func(c *Call, scope string) Reply {
		return jsonError(http.StatusUnauthorized, jsonType, "UNAUTHORIZED", "authentication required").
			with("WWW-Authenticate", c.front.d.Challenge(c, scope, ""))
	}
	denied := func(*Call) Reply {
		return jsonError(http.StatusForbidden, jsonType, "DENIED", "requested access to the resource is denied")
	}
	return &Dialect{
		Name: "GHCR",
		Token: &TokenService{
			Path:   "/token",
			Body:   tokenOnly,
			TTL:    5 * time.Minute,
			Opaque: true,
			Refuse: func(c *Call, exists, allowed bool) *Reply {
				switch {
				case c.User == "" && (!exists || !allowed):
					r := jsonError(http.StatusUnauthorized, jsonType, "UNAUTHORIZED", "authentication required")
					return &r
				case c.User != "" && exists && !allowed:
					r := denied(c)
					return &r
				}
				return nil
			},
			WrongCredentials: denied,
		},
		Challenge:    hostChallenge,
		Ping:         func(c *Call) Reply { return unauthorized(c, "repository:user/image:pull") },
		Unauthorized: func(c *Call) Reply { return unauthorized(c, c.Scope()) },
		BasicOnRegistry: func(*Call, Verdict) (bool, Reply) {
			return false, jsonError(http.StatusForbidden, jsonType, "DENIED", "invalid token")
		},
		BearerIsBasic: true,
		MissingRepo: func(c *Call) Reply {
			return jsonError(http.StatusNotFound, jsonType, "NAME_UNKNOWN", "repository name not known to registry", map[string]string{"name": c.Repo})
		},
		MissingManifest: func(*Call) Reply {
			return jsonError(http.StatusNotFound, jsonType, "MANIFEST_UNKNOWN", "manifest unknown")
		},
		AcceptMismatch: func(_ *Call, found string) Reply {
			msg := "OCI manifest found, but Accept header does not support OCI manifests"
			if found == indexType {
				msg = "OCI index found, but Accept header does not support OCI indexes"
			}
			return jsonError(http.StatusNotFound, jsonType, "MANIFEST_UNKNOWN", msg)
		},
		RateLimited: func(*Call) Reply {
			return jsonError(http.StatusTooManyRequests, jsonType, "TOOMANYREQUESTS", "retry-after: 880.092µs, allowed: 44000/minute")
		},
		Blobs: Blobs{Redirect: RedirectCDN, CDN: CDNS3},
	}
}
