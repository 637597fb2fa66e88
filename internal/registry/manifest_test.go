package registry

import (
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"
)

func classOfErr(err error) Class {
	if err == nil {
		return ClassUnknown
	}
	return classOf(err)
}

func TestVerifyDigest(t *testing.T) {
	body := `{"schemaVersion":2}`
	good := sha(body)
	other := "sha256:" + strings.Repeat("0", 64)
	s512 := sha512.Sum512([]byte(body))
	good512 := "sha512:" + hex.EncodeToString(s512[:])

	tests := []struct {
		name, wanted, header, want string
		class                      Class
	}{
		{"tag, no header", "", "", good, 0},
		{"tag, matching header", "", good, good, 0},
		{"tag, header of other content", "", other, "", ClassDigestMismatch},
		{"tag, header not a digest", "", "sha256:xyz", "", ClassMalformed},
		{"by digest", good, "", good, 0},
		{"by digest, header ignored for the check", good, other, good, 0},
		{"by digest, other content", other, good, "", ClassDigestMismatch},
		{"by sha512 digest", good512, "", good512, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := verifyDigest([]byte(body), tt.wanted, tt.header)
			if tt.class != 0 {
				if c := classOfErr(err); c != tt.class {
					t.Fatalf("got %q, %v (class %s); want class %s", got, err, c, tt.class)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		wantType                string
		class                   Class
		errText                 string
	}{
		{"oci image by header", `{"schemaVersion":2,"config":{},"layers":[]}`, "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.manifest.v1+json", 0, ""},
		{"docker list with charset", `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{}]}`, "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8", "application/vnd.docker.distribution.manifest.list.v2+json", 0, ""},
		{"oci index without mediaType or header", `{"schemaVersion":2,"manifests":[{}]}`, "application/json", "application/vnd.oci.image.index.v1+json", 0, ""},
		{"oci image without mediaType or header", `{"schemaVersion":2,"config":{},"layers":[]}`, "", "application/vnd.oci.image.manifest.v1+json", 0, ""},
		{"body mediaType when header is generic", `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{}}`, "application/octet-stream", "application/vnd.docker.distribution.manifest.v2+json", 0, ""},
		{"schema 1 by header", `{"schemaVersion":1}`, "application/vnd.docker.distribution.manifest.v1+prettyjws", "", ClassUnsupported, "schema 1"},
		{"schema 1 by body", `{"schemaVersion":1,"fsLayers":[]}`, "application/json", "", ClassUnsupported, "schema 1"},
		{"index and image at once", `{"schemaVersion":2,"manifests":[{}],"layers":[{}]}`, "application/vnd.oci.image.index.v1+json", "", ClassMalformed, "ambiguous"},
		{"header and body disagree", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}`, "application/vnd.oci.image.manifest.v1+json", "", ClassMalformed, "document says"},
		{"not JSON", `<html>`, "text/html", "", ClassMalformed, "not valid JSON"},
		{"wrong schema version", `{"schemaVersion":3}`, "", "", ClassMalformed, "schemaVersion 3"},
		{"not a manifest kind", `{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}`, "", "", ClassUnsupported, "not a manifest kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseManifest([]byte(tt.body), sha(tt.body), tt.contentType)
			if tt.class != 0 {
				if c := classOfErr(err); c != tt.class || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("got %v (class %s); want class %s mentioning %q", err, c, tt.class, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != tt.wantType || m.Size != int64(len(tt.body)) || string(m.Raw) != tt.body || m.Digest != sha(tt.body) {
				t.Fatalf("got %+v; want media type %q and the body's size and digest", m, tt.wantType)
			}
		})
	}
}
