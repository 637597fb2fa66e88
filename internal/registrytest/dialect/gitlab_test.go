package dialect

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestGitLab proves the GitLab front: the realm on another host, its
// wrong-password message and the virtual registry's redirected HEAD.
func TestGitLab(t *testing.T) {
	e := newEnv(t, GitLab(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"Content-Length": "87", "WWW-Authenticate": `Bearer realm="` + e.f.Auth.URL + `/jwt/auth",service="container_registry"`},
			[]string{`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`}}},
		{"wrong password", tokenFor("team/app", alice, wrongPW), want{401, nil, []string{"HTTP Basic: Access denied."}}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""), want{401, map[string]string{"WWW-Authenticate": `error="insufficient_scope"`}, nil}},
		{"redirected HEAD", func(e *env) resp { e.f.MisbehaveHEAD(); return e.get(http.MethodHead, manifestPub, "", "") }, want{307, map[string]string{"Location": "X-Amz-Signature="}, nil}},
	})
	r := e.get(http.MethodHead, manifestPub, "", "")
	loc := r.header.Get("Location")
	if got := e.do(http.MethodHead, loc, nil).status; got != http.StatusForbidden {
		t.Errorf("HEAD on the GET-signed storage URL: %d, want 403", got)
	}
	if got := e.do(http.MethodGet, loc, nil); got.status != http.StatusOK || !strings.Contains(got.body, `"schemaVersion"`) {
		t.Errorf("GET on the storage URL: %v, want the manifest", got)
	}
	if _, err := remote.Head(e.ref("pub/app:1"), e.ggcr("", "")...); err == nil {
		t.Error("a client's HEAD succeeded through the redirect to GET-signed storage")
	}
}
