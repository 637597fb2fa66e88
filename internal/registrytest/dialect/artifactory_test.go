package dialect

import (
	"net/http"
	"testing"
)

// TestArtifactory proves the Artifactory front: 406 on the tag list
// without application/json, the Link that drops the repository key, and
// the octet-stream HEAD.
func TestArtifactory(t *testing.T) {
	e := newEnv(t, Artifactory(), Options{})
	commonClientChecks(t, e, alice, alicePW, false)
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"WWW-Authenticate": `/artifactory/api/docker/docker/v2/token"`}, nil}},
		{"tags without application/json in Accept", get(http.MethodGet, manyTags, "", "", "Accept", indexAccept), want{406, nil, nil}},
		{"the Link drops the repository key", get(http.MethodGet, manyTags+"?n=10", "", "", "Accept", "application/json"), want{200, map[string]string{"Link": `</v2/many/tags/list?last=t09&n=10>; rel="next"`}, nil}},
		{"missing tag", get(http.MethodGet, missingTag, "", ""), want{404, nil, []string{`"message":"The named manifest is not known to the registry.","detail":{"manifest":"pub/app:nope"}`}}},
		{"Accept without the OCI index type", get(http.MethodGet, multi, "", "", "Accept", indexAccept), want{404, nil, []string{"The named manifest is not known"}}},
		{"octet-stream HEAD", func(e *env) resp { e.f.MisbehaveHEAD(); return e.get(http.MethodHead, manifestPub, "", "") },
			want{200, map[string]string{"Content-Type": "application/octet-stream", "Docker-Content-Digest": "", "X-Checksum-Sha256": digest(t, e.pub).Hex}, nil}},
	})
	// The client's listing broke on the Link: it asked the registry for
	// a repository without the key.
	if e.f.Requests().Count(http.MethodGet, "/v2/many/tags/list") == 0 {
		t.Error("no client followed the Link to /v2/many/tags/list")
	}
}
