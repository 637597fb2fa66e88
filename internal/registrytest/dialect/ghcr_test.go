package dialect

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestGHCR proves the GHCR front: anonymous tokens for public images only,
// 403 DENIED for bad tokens, Basic on the registry refused, its rate limit
// and the S3 redirect.
func TestGHCR(t *testing.T) {
	e := newEnv(t, GHCR(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	denied := `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"Content-Length": "73", "WWW-Authenticate": `service="` + e.f.Host + `",scope="repository:user/image:pull"`},
			[]string{`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`}}},
		{"an anonymous token for a public image, without expires_in", tokenFor("pub/app", "", ""), want{200, nil, []string{`"token":"`}}},
		{"no anonymous token for a private image", tokenFor("team/app", "", ""), want{401, nil, []string{"UNAUTHORIZED"}}},
		{"no anonymous token for a missing one", tokenFor("no/such", "", ""), want{401, nil, nil}},
		{"a wrong personal access token", tokenFor("team/app", alice, wrongPW), want{403, map[string]string{"Content-Length": "86"}, []string{denied}}},
		{"Basic credentials on the registry", get(http.MethodGet, manifestPriv, "", "", "Authorization", basicHeader(alice, alicePW)),
			want{403, map[string]string{"WWW-Authenticate": ""}, []string{`"code":"DENIED","message":"invalid token"`}}},
		{"Bearer base64(user:PAT)", get(http.MethodGet, manifestPriv, "", "", "Authorization", "Bearer "+base64.StdEncoding.EncodeToString([]byte(alice+":"+alicePW))),
			want{200, nil, nil}},
		{"missing repository with credentials", get(http.MethodGet, missingRepo, alice, alicePW), want{404, nil, []string{"NAME_UNKNOWN"}}},
		{"missing tag", get(http.MethodGet, missingTag, "", ""), want{404, nil, []string{`"message":"manifest unknown"`}}},
		{"Accept without the OCI index type", get(http.MethodGet, multi, "", "", "Accept", indexAccept),
			want{404, nil, []string{"OCI index found, but Accept header does not support OCI indexes"}}},
		{"rate limit", func(e *env) resp { e.f.RateLimit(1); return e.get(http.MethodGet, manifestPub, "", "") },
			want{429, nil, []string{`"code":"TOOMANYREQUESTS","message":"retry-after: 880.092µs, allowed: 44000/minute"`}}},
		{"config blob", get(http.MethodGet, e.pubConfig(), "", ""), want{307, map[string]string{"Location": "X-Amz-Signature="}, nil}},
		{"S3 refuses a second credential", follow(http.MethodGet, "Authorization", "Bearer abc"),
			want{400, map[string]string{"Content-Type": "application/xml"}, []string{"<Code>InvalidArgument</Code>", "<ArgumentValue>Bearer abc</ArgumentValue>"}}},
		{"S3 refuses HEAD on a GET URL", follow(http.MethodHead), want{403, nil, nil}},
		{"S3 serves the GET", follow(http.MethodGet), want{200, nil, nil}},
		{"an expired personal access token", func(e *env) resp { e.f.Expire(alice); return e.token("team/app", alice, alicePW) }, want{403, nil, []string{denied}}},
	})
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(e.token("pub/app", "", "").body), &tok); err != nil || strings.Count(tok.Token, ".") == 2 {
		t.Errorf("GHCR token %q (%v): want an opaque, non-JWT token", tok.Token, err)
	}
}
