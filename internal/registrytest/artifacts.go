package registrytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Blob is a blob of an Artifact: its media type, content and descriptor
// annotations.
type Blob struct {
	MediaType   string
	Data        []byte
	Annotations map[string]string
}

// Artifact is an OCI image manifest that is not an image: a signature, an
// SBOM, an attestation.
type Artifact struct {
	// ArtifactType is the manifest's artifactType; "" leaves it out.
	ArtifactType string
	// Config is the config blob; nil means the OCI empty descriptor
	// (application/vnd.oci.empty.v1+json, content "{}").
	Config *Blob
	Layers []Blob
	// Subject is the digest of the manifest this artifact refers to; ""
	// leaves the subject out.
	Subject string
	// Annotations are the manifest's.
	Annotations map[string]string
}

// EmptyMediaType is the OCI empty descriptor's media type.
const EmptyMediaType = "application/vnd.oci.empty.v1+json"

type descriptorJSON struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// PushArtifact pushes a's blobs and its manifest to repo, under tag when it
// is not "" and else by digest, and returns the manifest's digest. A
// manifest with a subject is pushed the way go-containerregistry pushes it:
// on a registry without the referrers API (no Options.Referrers) it is
// added to the subject's fallback tag too.
func (r *Registry) PushArtifact(ctx context.Context, repo, tag string, a Artifact) (string, error) {
	config := Blob{MediaType: EmptyMediaType, Data: []byte("{}")}
	if a.Config != nil {
		config = *a.Config
	}
	describe := func(b Blob) (descriptorJSON, error) {
		h, err := r.PushBlob(ctx, repo, b.Data)
		if err != nil {
			return descriptorJSON{}, err
		}
		return descriptorJSON{MediaType: b.MediaType, Digest: h.String(), Size: int64(len(b.Data)), Annotations: b.Annotations}, nil
	}
	m := struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		ArtifactType  string            `json:"artifactType,omitempty"`
		Config        descriptorJSON    `json:"config"`
		Layers        []descriptorJSON  `json:"layers"`
		Subject       *descriptorJSON   `json:"subject,omitempty"`
		Annotations   map[string]string `json:"annotations,omitempty"`
	}{SchemaVersion: 2, MediaType: ociManifestMediaType, ArtifactType: a.ArtifactType, Layers: []descriptorJSON{}, Annotations: a.Annotations}
	var err error
	if m.Config, err = describe(config); err != nil {
		return "", err
	}
	for _, l := range a.Layers {
		d, err := describe(l)
		if err != nil {
			return "", err
		}
		m.Layers = append(m.Layers, d)
	}
	if a.Subject != "" {
		subject, err := r.describeManifest(ctx, repo, a.Subject)
		if err != nil {
			return "", err
		}
		m.Subject = &subject
	}
	body, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	dgst := sha256Digest(body)
	where := tag
	if where == "" {
		where = dgst
	}
	if err := r.PushRaw(ctx, repo, where, ociManifestMediaType, body); err != nil {
		return "", err
	}
	return dgst, nil
}

const ociManifestMediaType = "application/vnd.oci.image.manifest.v1+json"

// describeManifest gives the descriptor of a manifest the registry holds.
func (r *Registry) describeManifest(ctx context.Context, repo, dgst string) (descriptorJSON, error) {
	ref, err := r.ref(repo + "@" + dgst)
	if err != nil {
		return descriptorJSON{}, err
	}
	desc, err := remote.Head(ref, r.remoteOptions(ctx)...)
	if err != nil {
		return descriptorJSON{}, fmt.Errorf("subject %s: %w", dgst, err)
	}
	return descriptorJSON{MediaType: string(desc.MediaType), Digest: desc.Digest.String(), Size: desc.Size}, nil
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
