package dialect

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Google is Google Artifact Registry (<location>-docker.pkg.dev, and gcr.io
// served by it). Repositories are named <project>/<repository>/<image>;
// Location is the <location> its messages name.
//
//   - /v2/ challenge without service: Bearer realm="https://<host>/v2/token";
//     repository requests add service="<host>" and the scope
//     (https://github.com/apple/container/issues/2274).
//   - A token for a repository the caller may not read, or one that does
//     not exist, is refused by the token service with 403 DENIED
//     `Permission "artifactregistry.repositories.downloadArtifacts" denied
//     on resource "projects/P/locations/L/repositories/R" (or it may not
//     exist)` (https://github.com/GoogleContainerTools/skaffold/issues/6743);
//     the registry answers manifests the same way
//     (https://github.com/terraform-google-modules/terraform-google-kubernetes-engine/issues/1779).
//     Anonymous callers get `Unauthenticated requests do not have
//     permission "artifactregistry.repositories.downloadArtifacts" on
//     resource "..."` (https://github.com/google/fuzzbench/issues/1981).
//   - Token answer: not shown in any transcript found; the front sends
//     {"token": ...}.
//   - Accept without the stored type: 404 MANIFEST_UNKNOWN `Manifest has
//     media type "X" but client accepts ["a" "b" ...]`
//     (https://github.com/argoproj-labs/argocd-image-updater/issues/519).
//   - Tag list: GCR's ignores n (no pagination) and adds "manifest" (digest
//     -> imageSizeBytes, mediaType, tag, timeCreatedMs, timeUploadedMs) and
//     "child" (https://github.com/google/go-containerregistry/issues/897).
//   - Blobs: a relative redirect to /artifacts-downloads/...
//     (https://github.com/dragonflyoss/nydus/pull/2002; the status is not
//     shown, the front sends 302).
//   - Unknown tag, and wrong credentials at the token service: not shown;
//     distribution's answer, and 401 UNAUTHORIZED "authentication failed".
func Google(location string) *Dialect {
	if location == "" {
		location = "us"
	}
	resource := func(repo string) string {
		parts := strings.SplitN(repo, "/", 3)
		project, name := parts[0], parts[0]
		if len(parts) > 1 {
			name = parts[1]
		}
		return fmt.Sprintf("projects/%s/locations/%s/repositories/%s", project, location, name)
	}
	denied := func(c *Call) Reply {
		msg := fmt.Sprintf(`Permission "artifactregistry.repositories.downloadArtifacts" denied on resource %q (or it may not exist)`, resource(c.Repo))
		if c.User == "" {
			msg = fmt.Sprintf(`Unauthenticated requests do not have permission "artifactregistry.repositories.downloadArtifacts" on resource %q`, resource(c.Repo))
		}
		return jsonError(http.StatusForbidden, jsonUTF8, "DENIED", msg)
	}
	return &Dialect{
		Name: "Google Artifact Registry",
		Token: &TokenService{
			Path: "/v2/token",
			Body: tokenOnly,
			TTL:  time.Hour,
			Refuse: func(c *Call, exists, allowed bool) *Reply {
				if exists && allowed {
					return nil
				}
				r := denied(c)
				return &r
			},
			WrongCredentials: func(*Call) Reply {
				return jsonError(http.StatusUnauthorized, jsonUTF8, "UNAUTHORIZED", "authentication failed")
			},
		},
		Challenge: func(c *Call, scope, errParam string) string {
			if scope == "" {
				return bearer(c.Realm(), "", "", errParam)
			}
			return bearer(c.Realm(), c.Host, scope, errParam)
		},
		Denied: denied,
		AcceptMismatch: func(c *Call, found string) Reply {
			var accepted []string
			for _, v := range c.Req.Header.Values("Accept") {
				for part := range strings.SplitSeq(v, ",") {
					accepted = append(accepted, strings.TrimSpace(part))
				}
			}
			return jsonError(http.StatusNotFound, jsonUTF8, "MANIFEST_UNKNOWN", fmt.Sprintf("Manifest has media type %q but client accepts %q", found, accepted))
		},
		Tags: Paging{IgnoreN: true, Extra: gcrTagFields},
		Blobs: Blobs{
			Redirect:       RedirectRelative,
			Status:         http.StatusFound,
			RelativePrefix: "/artifacts-downloads/",
		},
	}
}

// gcrTagFields adds GCR's "child" and "manifest" fields.
func gcrTagFields(c *Call, tags []string, body map[string]any) {
	type info struct {
		ImageSizeBytes string   `json:"imageSizeBytes"`
		LayerID        string   `json:"layerId"`
		MediaType      string   `json:"mediaType"`
		Tag            []string `json:"tag"`
		TimeCreatedMs  string   `json:"timeCreatedMs"`
		TimeUploadedMs string   `json:"timeUploadedMs"`
	}
	manifests := map[string]*info{}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for _, tag := range tags {
		rec := c.front.inner(c.Req.Context(), http.MethodHead, "/v2/"+c.Repo+"/manifests/"+tag, everyManifestType)
		d := rec.Header().Get("Docker-Content-Digest")
		if rec.Code != http.StatusOK || d == "" {
			continue
		}
		m := manifests[d]
		if m == nil {
			m = &info{ImageSizeBytes: rec.Header().Get("Content-Length"), MediaType: rec.Header().Get("Content-Type"),
				TimeCreatedMs: now, TimeUploadedMs: now}
			manifests[d] = m
		}
		m.Tag = append(m.Tag, tag)
	}
	body["child"] = []string{}
	body["manifest"] = manifests
}
