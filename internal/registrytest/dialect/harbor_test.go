package dialect

import (
	"net/http"
	"strings"
	"testing"
)

// TestHarbor proves the Harbor front: its token service's answers, the
// "unauthorized to access repository" 401 and NOT_FOUND codes.
func TestHarbor(t *testing.T) {
	e := newEnv(t, Harbor(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"Content-Length": "76", "WWW-Authenticate": `/service/token",service="harbor-registry"`},
			[]string{`{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized: unauthorized"}]}`}}},
		{"token answer", tokenFor("pub/app", "", ""), want{200, nil, []string{`"expires_in":1800`, `"issued_at":"`, `"token":"`}}},
		{"an unknown service", func(e *env) resp { return e.do(http.MethodGet, e.f.realm(e.f.Host)+"?service=nope", nil) }, want{400, nil, []string{"Unable to handle service: nope"}}},
		{"wrong password: 401 with an empty body", tokenFor("team/app", alice, wrongPW), want{401, map[string]string{"Content-Length": "0"}, nil}},
		{"no OAuth2 POST", func(e *env) resp { return e.do(http.MethodPost, e.f.realm(e.f.Host), strings.NewReader("")) }, want{405, nil, nil}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""),
			want{401, nil, []string{"unauthorized to access repository: team/app, action: pull: unauthorized to access repository: team/app, action: pull"}}},
		{"missing repository", get(http.MethodGet, missingRepo, alice, alicePW), want{404, nil, []string{`"code":"NOT_FOUND","message":"repository no/such not found"`}}},
		{"missing tag", get(http.MethodGet, missingTag, "", ""), want{404, nil, []string{`"code":"NOT_FOUND","message":"artifact pub/app:nope not found"`}}},
		{"blobs are served", get(http.MethodGet, e.pubConfig(), "", ""), want{200, nil, nil}},
		{"S3 storage redirects", func(e *env) resp {
			e.f.RedirectBlobs(RedirectCDN)
			return e.get(http.MethodGet, e.pubConfig(), "", "")
		}, want{307, map[string]string{"Location": "http://localhost:"}, nil}},
	})
}
