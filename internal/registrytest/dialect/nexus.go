package dialect

import (
	"net/http"
	"strings"
)

// nexusNotAuthorized is the message of Nexus's 401 body.
const nexusNotAuthorized = "access to the requested resource is not authorized"

// Nexus is Sonatype Nexus Repository 3 with a Docker connector in its
// default mode, which forces Basic authentication (forceBasicAuth is true
// and not shown in the UI, https://github.com/sonatype/nexus-public/issues/921).
//
//   - 401: WWW-Authenticate: BASIC realm="Sonatype Nexus Repository
//     Manager" (the scheme in capitals), Content-Type application/json,
//     Server: Nexus/3.x (OSS) and {"errors":[{"code":"UNAUTHORIZED",
//     "message":"access to the requested resource is not authorized",
//     "detail":null}]} (https://github.com/podman-desktop/podman-desktop/issues/3252,
//     whose Content-Length 113 is this body's; sonatype/nexus-public#921).
//   - Anonymous pulls of public repositories are allowed
//     (https://github.com/sonatype/nexus-public/issues/311).
//   - HEAD misbehaviour (MisbehaveHEAD): no Docker-Content-Digest, seen with
//     an external PostgreSQL database
//     (https://github.com/distribution/distribution/pull/3849) and older
//     "HEAD not working in Nexus" (https://github.com/merll/docker-registry-util/issues/3).
//   - A signed-in user without access: not shown; the front sends 403
//     DENIED.
//   - Accept without the stored type, tag paging, unknown tags: no
//     evidence found; distribution's answers.
func Nexus() *Dialect {
	unauthorized := func(c *Call) Reply {
		// No newline after the JSON: 113 bytes, as in the transcript.
		body := strings.TrimSuffix(errorsBody("UNAUTHORIZED", nexusNotAuthorized, nil), "\n")
		return newReply(http.StatusUnauthorized, jsonType, body, "WWW-Authenticate", c.front.d.Challenge(c, "", ""))
	}
	return &Dialect{
		Name:  "Nexus",
		Basic: true,
		Challenge: func(*Call, string, string) string {
			return `BASIC realm="Sonatype Nexus Repository Manager"`
		},
		Ping:         unauthorized,
		Unauthorized: unauthorized,
		Denied: func(*Call) Reply {
			return jsonError(http.StatusForbidden, jsonType, "DENIED", nexusNotAuthorized, nil)
		},
		Header: http.Header{"Server": {"Nexus/3.58.1-01 (OSS)"}},
		HEAD:   HeadNoDigest,
	}
}
