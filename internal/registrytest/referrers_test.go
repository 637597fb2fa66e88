package registrytest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// pushReferred pushes app:1 and an x/sbom referrer of it, and returns the
// image's digest.
func pushReferred(t *testing.T, reg *Registry) string {
	t.Helper()
	ctx := context.Background()
	img, err := reg.PushImage(ctx, "app:1")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	if _, err := reg.PushArtifact(ctx, "app", "", Artifact{ArtifactType: "x/sbom", Subject: h.String()}); err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// httpClient is an HTTP client of the test's own, closed with it.
func httpClient(t *testing.T, reg *Registry) *http.Client {
	tr := reg.HTTPTransport()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func hasFallbackTag(t *testing.T, reg *Registry, subject string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, reg.URL+"/v2/app/manifests/"+strings.Replace(subject, ":", "-", 1), nil)
	req.Header.Set("Accept", ociIndexMediaType)
	resp, err := httpClient(t, reg).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestReferrersFront: the front answers as the distribution spec 1.1 says
// and makes pushes skip the fallback tag; without it the path is
// distribution's 404 and pushes keep the fallback tag.
func TestReferrersFront(t *testing.T) {
	for _, api := range []bool{true, false} {
		reg := New(t, Options{Referrers: api})
		subject := pushReferred(t, reg)
		resp, err := httpClient(t, reg).Get(reg.URL + "/v2/app/referrers/" + subject + "?artifactType=x/sbom")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if !api {
			if resp.StatusCode != http.StatusNotFound || !hasFallbackTag(t, reg, subject) {
				t.Errorf("without the front: %d, fallback tag %v; want distribution's 404 and the tag", resp.StatusCode, hasFallbackTag(t, reg, subject))
			}
			continue
		}
		var idx struct {
			MediaType string `json:"mediaType"`
			Manifests []struct {
				ArtifactType string `json:"artifactType"`
			} `json:"manifests"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || idx.MediaType != ociIndexMediaType || len(idx.Manifests) != 1 ||
			idx.Manifests[0].ArtifactType != "x/sbom" || resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
			t.Errorf("got %d %+v, filters %q; want one x/sbom entry, filter applied", resp.StatusCode, idx, resp.Header.Get("OCI-Filters-Applied"))
		}
		if hasFallbackTag(t, reg, subject) {
			t.Errorf("with the front the push still wrote the fallback tag")
		}
	}
}

// TestReferrersFrontAuthorization: the front passes on distribution's
// challenge to a client without a token.
func TestReferrersFrontAuthorization(t *testing.T) {
	reg := New(t, Options{Auth: AuthToken, Users: map[string]string{"u": "p"}, Referrers: true})
	subject := pushReferred(t, reg)
	resp, err := httpClient(t, reg).Get(reg.URL + "/v2/app/referrers/" + subject)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `scope="repository:app:pull"`) {
		t.Errorf("anonymous: %d %q, want distribution's 401 challenge for pull", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}
