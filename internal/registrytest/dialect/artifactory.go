package dialect

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Artifactory is JFrog Artifactory's Docker API with the repository path
// method: repositories are <repo-key>/<image>, the first path element
// naming the Artifactory repository.
//
//   - Token realm: <host>/artifactory/api/docker/<repo-key>/v2/token
//     (https://github.com/renovatebot/renovate/issues/11765,
//     https://github.com/swarmpit/swarmpit/issues/266); the front names the
//     key "docker", as those threads do. The service and the token answer
//     are not shown; the front sends the host and {"token": ...}.
//   - HEAD misbehaviour (MisbehaveHEAD): HEAD on a manifest answers 200
//     with Content-Type application/octet-stream, ETag and X-Checksum-*
//     headers and no Docker-Content-Digest
//     (https://github.com/deitch/docker_registry2/issues/83).
//   - Tag list: 406 unless Accept allows application/json
//     (https://github.com/deitch/docker_registry2/pull/40,
//     https://github.com/renovatebot/renovate/pull/3124; the body is not
//     shown); the next Link drops the repository key from the path
//     (RTFACT-18971, https://github.com/renovatebot/renovate/pull/20745,
//     https://github.com/renovatebot/renovate/issues/15030), so following
//     it blindly asks for another repository.
//   - Unknown manifest: 404 MANIFEST_UNKNOWN "The named manifest is not
//     known to the registry." with a detail naming it
//     (https://github.com/goharbor/harbor/issues/12429). An Accept header
//     without the stored OCI type: 404
//     (https://github.com/neuvector/neuvector/pull/1762; the body is not
//     shown, the front sends the same MANIFEST_UNKNOWN).
//   - Without credentials, wrong credentials: not shown; distribution's
//     answers.
func Artifactory() *Dialect {
	unknown := func(c *Call) Reply {
		return jsonError(http.StatusNotFound, jsonType, "MANIFEST_UNKNOWN", "The named manifest is not known to the registry.",
			map[string]string{"manifest": c.Repo + ":" + c.Ref})
	}
	return &Dialect{
		Name: "Artifactory",
		Token: &TokenService{
			Path: "/artifactory/api/docker/docker/v2/token",
			Body: tokenOnly,
			TTL:  time.Hour,
			WrongCredentials: func(*Call) Reply {
				return jsonError(http.StatusUnauthorized, jsonType, "UNAUTHORIZED", "authentication required")
			},
		},
		Challenge:       hostChallenge,
		MissingManifest: unknown,
		AcceptMismatch:  func(c *Call, _ string) Reply { return unknown(c) },
		Tags: Paging{
			NeedJSONAccept: func(*Call) Reply {
				return newReply(http.StatusNotAcceptable, jsonType, errorsBody("UNSUPPORTED", "Not Acceptable"))
			},
			Link: func(c *Call, n int, cursor string) string {
				rest := c.Repo
				if _, after, ok := strings.Cut(c.Repo, "/"); ok {
					rest = after
				}
				return tagsPath(rest) + "?" + url.Values{"last": {cursor}, "n": {strconv.Itoa(n)}}.Encode()
			},
		},
		HEAD: HeadOctetStream,
	}
}
