package dialect

import (
	"net/http"
	"strings"
	"testing"
)

// TestDockerHub proves the Docker Hub front: missing and private
// repositories hidden behind insufficient_scope, the token service's
// answers, pull quota headers, the CDN redirect and the HEAD quirk.
func TestDockerHub(t *testing.T) {
	e := newEnv(t, DockerHub(), Options{})
	commonClientChecks(t, e, alice, alicePW, true)
	if e.f.Auth == nil || !strings.HasPrefix(e.f.realm(e.f.Host), e.f.Auth.URL) {
		t.Fatal("the token service is not on a host of its own")
	}
	scope := `scope="repository:team/app:pull",error="insufficient_scope"`
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"WWW-Authenticate": `/token",service="registry.docker.io"`}, []string{`"detail":null`}}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""),
			want{401, map[string]string{"WWW-Authenticate": scope}, []string{`"code":"UNAUTHORIZED"`, `"Class":"","Name":"team/app","Action":"pull"`}}},
		{"missing repository with credentials is 401, not 404", get(http.MethodGet, missingRepo, alice, alicePW),
			want{401, map[string]string{"WWW-Authenticate": `error="insufficient_scope"`}, []string{"authentication required"}}},
		{"a token for a missing repository is issued", tokenFor("no/such", alice, alicePW), want{200, nil, []string{`"expires_in":300`, `"access_token"`}}},
		{"wrong password", tokenFor("team/app", alice, wrongPW), want{401, nil, []string{`{"details":"incorrect username or password"}`}}},
		{"missing tag", get(http.MethodGet, missingTag, "", ""), want{404, nil, []string{`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`}}},
		{"Accept without the OCI index type", get(http.MethodGet, multi, "", "", "Accept", indexAccept),
			want{404, nil, []string{"OCI index found, but accept header does not support OCI indexes"}}},
		{"tags without n: all", get(http.MethodGet, manyTags, "", ""), want{200, map[string]string{"Link": ""}, []string{`"t24"`}}},
		{"tags with n", get(http.MethodGet, manyTags+"?n=10", "", ""), want{200, map[string]string{"Link": `</v2/pub/many/tags/list?last=t09&n=10>; rel="next"`}, nil}},
		{"config blob", get(http.MethodGet, e.pubConfig(), "", ""),
			want{307, map[string]string{"Location": "/registry-v2/docker/registry/v2/blobs/sha256/", "Content-Type": "application/octet-stream"}, nil}},
		{"config blob on the CDN", follow(http.MethodGet), want{200, nil, nil}},
	})

	// The token for a missing repository grants nothing.
	if c := claims(t, e.token("no/such", alice, alicePW).body); !strings.Contains(mustJSON(t, c["access"]), `"actions":[]`) {
		t.Errorf("access of a missing repository's token = %v, want no actions", c["access"])
	}

	e.f.SetQuota(100, 2)
	runChecks(t, e, []check{
		{"quota on GET", get(http.MethodGet, manifestPub, "", ""), want{200, map[string]string{"RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "1;w=21600", "Docker-RateLimit-Source": "127.0.0.1"}, nil}},
		{"HEAD spends nothing", get(http.MethodHead, manifestPub, "", ""), want{200, map[string]string{"RateLimit-Remaining": "1;w=21600"}, nil}},
		{"last pull", get(http.MethodGet, manifestPub, "", ""), want{200, map[string]string{"RateLimit-Remaining": "0;w=21600"}, nil}},
		{"over the limit", get(http.MethodGet, manifestPub, "", ""), want{429, map[string]string{"RateLimit-Remaining": "0;w=21600"}, []string{`"code":"TOOMANYREQUESTS"`, "You have reached your pull rate limit"}}},
		{"HEAD at zero", get(http.MethodHead, manifestPub, "", ""), want{200, map[string]string{"RateLimit-Remaining": "0;w=21600", "Docker-Content-Digest": "sha256:"}, nil}},
		{"abuse limit", func(e *env) resp {
			e.f.RateLimitWith(1, &DockerHubAbuseLimit)
			return e.get(http.MethodHead, manifestPub, "", "")
		},
			want{429, map[string]string{"Retry-After": "60", "Content-Type": "text/plain"}, nil}},
	})

	var amd64 string
	im, err := e.idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Platform.Architecture == "amd64" {
			amd64 = m.Digest.String()
		}
	}
	e.f.SetQuota(100, 100)
	e.f.MisbehaveHEAD()
	runChecks(t, e, []check{
		{"HEAD on an index answers its amd64 image", get(http.MethodHead, multi, "", "", "Accept", everyManifestType),
			want{200, map[string]string{"Docker-Content-Digest": amd64, "Content-Type": "application/vnd.oci.image.manifest.v1+json"}, nil}},
		{"GET still answers the index", get(http.MethodGet, multi, "", "", "Accept", everyManifestType),
			want{200, map[string]string{"Docker-Content-Digest": digest(t, e.idx).String()}, nil}},
		{"an expired token", func(e *env) resp {
			auth := e.auth("pub/app", "", "")
			e.f.ExpireTokens()
			return e.do(http.MethodGet, e.url(manifestPub), nil, auth...)
		}, want{401, map[string]string{"WWW-Authenticate": `error="invalid_token"`}, nil}},
	})
}
