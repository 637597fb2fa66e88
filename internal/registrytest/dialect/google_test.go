package dialect

import (
	"net/http"
	"strings"
	"testing"
)

// TestGoogle proves the Artifact Registry front: the service-less /v2/
// challenge, 403 DENIED for missing and forbidden repositories alike, its
// Accept message, GCR's tag list and the relative blob redirect.
func TestGoogle(t *testing.T) {
	e := newEnv(t, Google("europe-west2"), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	perm := `Permission \"artifactregistry.repositories.downloadArtifacts\" denied on resource \"projects/no/locations/europe-west2/repositories/such\" (or it may not exist)`
	runChecks(t, e, []check{
		{"ping has no service", ping, want{401, map[string]string{"WWW-Authenticate": `Bearer realm="http://` + e.f.Host + `/v2/token"`}, nil}},
		{"repository challenges have one", get(http.MethodGet, manifestPriv, "", "", "Authorization", "Bearer nope"),
			want{401, map[string]string{"WWW-Authenticate": `service="` + e.f.Host + `",scope="repository:team/app:pull"`}, nil}},
		{"anonymous token for a private repository", tokenFor("team/app", "", ""),
			want{403, nil, []string{`Unauthenticated requests do not have permission \"artifactregistry.repositories.downloadArtifacts\" on resource \"projects/team/locations/europe-west2/repositories/app\"`}}},
		{"a missing repository is the same DENIED", tokenFor("no/such", alice, alicePW), want{403, nil, []string{`"code":"DENIED"`, perm}}},
		{"the registry answers a token without the scope so too", func(e *env) resp {
			return e.do(http.MethodGet, e.url(manifestPriv), nil, e.auth("pub/app", alice, alicePW)...)
		}, want{403, nil, []string{"denied on resource", "projects/team/locations/europe-west2/repositories/app"}}},
		{"Accept without the OCI index type", get(http.MethodGet, multi, "", "", "Accept", indexAccept),
			want{404, nil, []string{`Manifest has media type \"application/vnd.oci.image.index.v1+json\" but client accepts [\"application/vnd.docker.distribution.manifest.v2+json\" \"application/vnd.oci.image.manifest.v1+json\"]`}}},
		{"tags ignore n", get(http.MethodGet, manyTags+"?n=10", "", ""), want{200, map[string]string{"Link": ""}, []string{`"t24"`, `"child":[]`, `"manifest":{"sha256:`, `"tag":["t00"`}}},
		{"config blob", get(http.MethodGet, e.pubConfig(), "", ""), want{302, map[string]string{"Location": "/artifacts-downloads/"}, nil}},
		{"the relative Location", follow(http.MethodGet), want{200, nil, nil}},
	})
	if loc := e.get(http.MethodGet, e.pubConfig(), "", "").header.Get("Location"); !strings.HasPrefix(loc, "/") {
		t.Errorf("Location %q is not relative", loc)
	}
}
