package dialect

import (
	"net/http"
	"strconv"
	"time"
)

// Quay is quay.io (and Red Hat Quay) as its current source answers
// (https://github.com/quay/quay: endpoints/v2/__init__.py, v2auth.py,
// errors.py, manifest.py, tag.py).
//
//   - /v2/ without a token: 401, Content-Type text/html; charset=utf-8,
//     body "true", Bearer realm="https://quay.io/v2/auth",service="quay.io"
//     (https://github.com/GoogleContainerTools/skaffold/issues/7048;
//     __init__.py's v2_support_enabled).
//   - Token service GET /v2/auth answers {"token": ...} only, valid one
//     hour (v2auth.py). Wrong credentials: 401 UNAUTHORIZED with the
//     challenge (errors.InvalidLogin; its default message "Specified
//     credentials are invalid" stands in for the auth module's text). No
//     credentials and no scope: 401. The route is GET-only (Flask), so POST
//     gets Flask's HTML 405.
//   - A repository the caller may not read, and one that does not exist:
//     the same 401 UNAUTHORIZED "access to the requested resource is not
//     authorized" with detail {} and a challenge naming the repository's
//     scope (require_repo_read raises Unauthorized for both).
//   - Unknown tag: 404 MANIFEST_UNKNOWN "manifest unknown" with detail {}.
//   - Basic credentials sent to the registry: {"error": "Invalid bearer
//     token format"} (https://github.com/quay/mirror-registry/issues/71;
//     status not shown, the front sends 401).
//   - Tags: n at most 100 (V2_PAGINATION_SIZE floor), `last` cursor,
//     relative Link </v2/<name>/tags/list?n=100&last=X>
//     (https://github.com/deitch/docker_registry2/pull/107).
//   - Blobs: redirect to S3/CloudFront, which refuses an Authorization
//     header (https://github.com/renovatebot/renovate/issues/5155); Flask
//     redirects with 302.
func Quay() *Dialect {
	unauthorized := func(c *Call) Reply {
		return withChallenge(c, "", jsonError(http.StatusUnauthorized, jsonType, "UNAUTHORIZED",
			"access to the requested resource is not authorized", map[string]string{}))
	}
	return &Dialect{
		Name: "Quay",
		Token: &TokenService{
			Path: "/v2/auth",
			Body: tokenOnly,
			TTL:  time.Hour,
			NoOAuth: func(*Call) Reply {
				return newReply(http.StatusMethodNotAllowed, "text/html; charset=utf-8",
					"<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n",
					"Allow", "GET, HEAD, OPTIONS")
			},
			WrongCredentials: func(c *Call) Reply {
				return jsonError(http.StatusUnauthorized, jsonType, "UNAUTHORIZED", "Specified credentials are invalid", map[string]string{}).
					with("WWW-Authenticate", c.front.d.Challenge(c, "", ""))
			},
			NoScope: func(c *Call) *Reply {
				if c.User != "" {
					return nil
				}
				r := unauthorized(c)
				return &r
			},
		},
		Challenge: hostChallenge,
		Ping: func(c *Call) Reply {
			return newReply(http.StatusUnauthorized, "text/html; charset=utf-8", "true", "WWW-Authenticate", c.front.d.Challenge(c, "", ""))
		},
		PingOK:       func(*Call) Reply { return newReply(http.StatusOK, "text/html; charset=utf-8", "true") },
		Unauthorized: unauthorized,
		Denied:       unauthorized,
		InvalidToken: unauthorized,
		BasicOnRegistry: func(*Call, Verdict) (bool, Reply) {
			return false, newReply(http.StatusUnauthorized, jsonType, `{"error": "Invalid bearer token format"}`+"\n")
		},
		MissingManifest: func(*Call) Reply {
			return jsonError(http.StatusNotFound, jsonType, "MANIFEST_UNKNOWN", "manifest unknown", map[string]string{})
		},
		Tags: Paging{
			DefaultN: 100,
			MaxN:     100,
			Link: func(c *Call, n int, cursor string) string {
				return tagsPath(c.Repo) + "?" + queryPairs("n", strconv.Itoa(n), "last", cursor)
			},
		},
		Blobs: Blobs{Redirect: RedirectCDN, Status: http.StatusFound, CDN: CDNS3},
	}
}

// QuayLegacy is Quay as it answered until about 2022: what Quay does, but
//
//   - tags page by an encrypted next_page token, 50 per page, in a relative
//     Link </v2/<name>/tags/list?next_page=gAAAAAB...&n=50>
//     (https://github.com/ivanilves/lstags/issues/185,
//     https://github.com/deitch/docker_registry2/issues/56), and `last` is
//     read as such a token, so a tag name there answers the first page
//     again (https://github.com/regclient/regclient/issues/272; the old
//     paginate() in endpoints/v2/__init__.py reads next_page or last);
//   - a manifest whose type the Accept header lacks, and that cannot be
//     converted (an OCI index), is 404 MANIFEST_UNKNOWN "manifest
//     unknown" (manifest.py's _rewrite_schema_if_necessary).
func QuayLegacy() *Dialect {
	d := Quay()
	d.Name = "Quay (legacy)"
	d.Tags = Paging{
		DefaultN: 50,
		MaxN:     50,
		Cursor:   CursorNextPage,
		Link: func(c *Call, n int, cursor string) string {
			return tagsPath(c.Repo) + "?" + queryPairs("next_page", cursor, "n", strconv.Itoa(n))
		},
	}
	d.AcceptMismatch = func(c *Call, _ string) Reply { return d.MissingManifest(c) }
	return d
}
