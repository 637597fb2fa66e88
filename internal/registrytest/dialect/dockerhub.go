package dialect

import (
	"net/http"
	"time"
)

// DockerHubPullLimit is Docker Hub's answer over the pull rate limit: 429
// TOOMANYREQUESTS (https://github.com/ScribeMD/docker-cache/issues/829,
// https://github.com/docker/docs/issues/21908; the docs page
// https://docs.docker.com/docker-hub/download-rate-limit/ gives the
// message). The front adds the quota headers when SetQuota is on.
const DockerHubPullLimit = "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"

// DockerHubAbuseLimit is Docker Hub's other 429, the anti-abuse limit: plain
// text, Retry-After: 60, not JSON
// (https://github.com/docker/hub-feedback/issues/1907). Use it with
// Front.RateLimitWith.
var DockerHubAbuseLimit = newReply(http.StatusTooManyRequests, "text/plain", "Too Many Requests (HAP429).\n",
	"Cache-Control", "no-cache", "Retry-After", "60")

// DockerHub is registry-1.docker.io with its token service auth.docker.io.
//
//   - Challenge: Bearer realm="<auth host>/token",service="registry.docker.io"
//     with scope="repository:<name>:pull" on repository requests, and
//     error="insufficient_scope" when the token lacks access
//     (https://github.com/distribution/distribution/issues/1676,
//     https://github.com/distribution/distribution/issues/1589).
//   - The token service issues a token for any repository, even a missing
//     or private one, with an empty "access" list
//     (https://github.com/docker/hub-feedback/issues/1771,
//     https://github.com/distribution/distribution/issues/1203); the
//     registry then answers 401 UNAUTHORIZED "authentication required"
//     with insufficient_scope: a missing, misspelled or private repository
//     is never a 404.
//   - Token answer: token, access_token, expires_in 300 and issued_at.
//     Evidence is thin: in 2016 only "token" was sent
//     (https://github.com/distribution/distribution/issues/1589); the other
//     fields follow the token specification Docker Hub implements.
//   - Wrong password at the token service: 401 {"details":"incorrect
//     username or password"} (go-containerregistry's own transport test
//     pkg/v1/remote/transport/error_test.go models it; many client logs,
//     e.g. https://github.com/docker-archive-public/docker.kitematic/issues/2833).
//   - Unknown tag: 404 MANIFEST_UNKNOWN "manifest unknown"
//     (https://github.com/jadolg/DockerImageSave/issues/9).
//   - An Accept header without the stored type: 404 "OCI index found, but
//     accept header does not support OCI indexes"
//     (https://github.com/NotGlop/docker-drag/issues/32), distribution's
//     own answer, passed through.
//   - Pull quota: ratelimit-limit / ratelimit-remaining "100;w=21600" and
//     docker-ratelimit-source on manifest GET and HEAD; GET spends a pull,
//     HEAD does not, and HEAD still answers 200 at 0
//     (https://github.com/docker/hub-feedback/issues/2464,
//     https://github.com/docker/docs/pull/11648). Over the limit: 429
//     TOOMANYREQUESTS DockerHubPullLimit.
//   - Tag list: everything without n (verified against nginx in
//     https://github.com/meziantou/Meziantou.Framework/pull/2190);
//     distribution's Link with n.
//   - Blobs: 307 to production.cloudflare.docker.com/registry-v2/...
//     ?verify=<expiry>-<signature>, Content-Type application/octet-stream
//     (https://github.com/opencontainers/distribution-spec/issues/299).
//   - HEAD misbehaviour (MisbehaveHEAD): HEAD on a manifest list answered
//     with the linux/amd64 image's digest
//     (https://github.com/opencontainers/distribution-spec/issues/207,
//     2020; whether Hub still does so is not shown).
//   - Not modelled for want of evidence: the OAuth2 POST (answered 405),
//     expired personal access tokens (answered like wrong ones).
func DockerHub() *Dialect {
	return &Dialect{
		Name: "Docker Hub",
		Token: &TokenService{
			Path:     "/token",
			Separate: true,
			Body:     tokenFields,
			TTL:      300 * time.Second,
			WrongCredentials: func(*Call) Reply {
				return newReply(http.StatusUnauthorized, jsonType, `{"details":"incorrect username or password"}`+"\n")
			},
		},
		Challenge: serviceChallenge("registry.docker.io"),
		MissingManifest: func(*Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "MANIFEST_UNKNOWN", "manifest unknown")
		},
		RateLimited: func(c *Call) Reply {
			return c.front.withQuota(jsonError(http.StatusTooManyRequests, jsonType, "TOOMANYREQUESTS", DockerHubPullLimit), c.Req)
		},
		Blobs: Blobs{
			Redirect: RedirectCDN,
			CDN:      CDNCloudflare,
			Header:   http.Header{"Content-Type": {"application/octet-stream"}},
		},
		HEAD: HeadIndexChild,
	}
}
