package dialect

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Harbor is a Harbor 2.x registry; its token service is /service/token on
// the same host.
//
//   - /v2/ without a token: 401 application/json; charset=utf-8
//     {"errors":[{"code":"UNAUTHORIZED","message":"unauthorized:
//     unauthorized"}]} and Bearer realm="<host>/service/token",
//     service="harbor-registry"
//     (https://github.com/google/go-containerregistry/issues/1493, whose
//     Content-Length 76 is this body and its newline).
//   - Token service (src/core/service/token in
//     https://github.com/goharbor/harbor): GET only
//     (https://github.com/IBM/portieris/issues/51; the status a POST gets
//     is not shown, the front sends 405), {"token", "expires_in",
//     "issued_at"} with a 30-minute default, an unknown service is 400
//     "Unable to handle service: X", wrong credentials 401 with an empty
//     body, and a scope the user may not use is granted with no actions.
//   - A repository the token may not pull: 401 UNAUTHORIZED
//     "unauthorized to access repository: R, action: pull: unauthorized to
//     access repository: R, action: pull"
//     (https://github.com/goharbor/harbor/issues/17713,
//     https://github.com/goharbor/harbor-operator/issues/327; whether a
//     challenge comes with it is not shown, the front sends one).
//   - Missing repository or tag: 404 with Harbor's own code NOT_FOUND, not
//     the spec's (https://github.com/buildpacks/lifecycle/pull/304; the
//     blob form "blob sha256:... not found" is in
//     https://github.com/goharbor/harbor/issues/18461, the manifest and
//     repository messages here follow it and are not quoted anywhere).
//   - Accept without the stored type: distribution's message
//     (https://github.com/bazel-contrib/rules_oci/pull/322).
//   - Blobs: served by Harbor; with S3 storage, a 307 to S3
//     (https://github.com/spring-attic/spring-cloud-dataflow/issues/4065):
//     RedirectBlobs(RedirectCDN).
func Harbor() *Dialect {
	denied := func(c *Call) Reply {
		msg := fmt.Sprintf("unauthorized to access repository: %s, action: pull", c.Repo)
		return withChallenge(c, "insufficient_scope", jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", msg+": "+msg))
	}
	return &Dialect{
		Name: "Harbor",
		Token: &TokenService{
			Path: "/service/token",
			Body: func(t string, ttl time.Duration, issued time.Time) map[string]any {
				return map[string]any{"token": t, "expires_in": int(ttl / time.Second), "issued_at": issued.UTC().Format(time.RFC3339)}
			},
			TTL: 30 * time.Minute,
			CheckService: func(_ *Call, service string) *Reply {
				if service == "harbor-registry" {
					return nil
				}
				r := newReply(http.StatusBadRequest, textUTF8, "Unable to handle service: "+service)
				return &r
			},
			WrongCredentials: func(*Call) Reply { return newReply(http.StatusUnauthorized, textUTF8, "") },
		},
		Challenge: serviceChallenge("harbor-registry"),
		Ping: func(c *Call) Reply {
			return withChallenge(c, "", jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", "unauthorized: unauthorized"))
		},
		Denied: denied,
		MissingRepo: func(c *Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "NOT_FOUND", fmt.Sprintf("repository %s not found", c.Repo))
		},
		MissingManifest: func(c *Call) Reply {
			sep := ":"
			if strings.Contains(c.Ref, ":") {
				sep = "@"
			}
			return jsonError(http.StatusNotFound, jsonUTF8, "NOT_FOUND", fmt.Sprintf("artifact %s%s%s not found", c.Repo, sep, c.Ref))
		},
		Blobs: Blobs{CDN: CDNS3},
	}
}
