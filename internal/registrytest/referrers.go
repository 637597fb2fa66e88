package registrytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// The OCI 1.1 referrers API, which distribution v3 lacks (it answers the
// path with 404), served in front of it when Options.Referrers is set.
//
// The front watches every manifest PUT that reaches distribution, fixture
// pushes included, and indexes those that name a subject (deletes are not
// followed). GET /v2/<name>/referrers/<digest> then
// answers as the distribution spec 1.1 says: 200 with an OCI image index
// (an empty one for a subject without referrers, even one that does not
// exist), each entry the referrer manifest's descriptor with its
// artifactType (the manifest's, else its config media type) and its
// annotations; the artifactType query parameter filters, and the answer
// then says so in OCI-Filters-Applied; and with Options.ReferrersPageSize
// the list is paged with Link headers. Authorization is distribution's: the
// front asks it about the subject's manifest with the client's headers
// first and passes on a 401 or 403.
//
// go-containerregistry, which the fixture helpers push with, looks for the
// API before it pushes a manifest with a subject, and only where there is
// none does it maintain the fallback tag: with the front, pushes leave no
// fallback tag, as with a registry that has the API.

const ociIndexMediaType = "application/vnd.oci.image.index.v1+json"

// referrersFront serves the referrers API in front of next.
type referrersFront struct {
	next     http.Handler
	pageSize int
	// configType lists the config media type as each referrer's
	// artifactType, as some registries do (Options.ReferrersConfigArtifactType).
	configType bool

	mu sync.Mutex
	// index: repository → subject digest → referrers, in push order.
	index map[string]map[string][]referrerEntry
}

type referrerEntry struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

func newReferrersFront(next http.Handler, opts Options) *referrersFront {
	return &referrersFront{next: next, pageSize: opts.ReferrersPageSize, configType: opts.ReferrersConfigArtifactType,
		index: map[string]map[string][]referrerEntry{}}
}

// splitPath splits /v2/<name>/<kind>/<rest> for kind "manifests" or
// "referrers".
func splitPath(p, kind string) (name, rest string, ok bool) {
	if !strings.HasPrefix(p, "/v2/") {
		return "", "", false
	}
	i := strings.LastIndex(p, "/"+kind+"/")
	if i <= len("/v2") {
		return "", "", false
	}
	return p[len("/v2/"):i], p[i+len(kind)+2:], true
}

func (f *referrersFront) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if name, dgst, ok := splitPath(req.URL.Path, "referrers"); ok && req.Method == http.MethodGet {
		f.serveReferrers(w, req, name, dgst)
		return
	}
	name, _, ok := splitPath(req.URL.Path, "manifests")
	if !ok || req.Method != http.MethodPut {
		f.next.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 4<<20+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusWriter{ResponseWriter: w}
	f.next.ServeHTTP(rec, req)
	if rec.status/100 == 2 {
		f.record(name, req.Header.Get("Content-Type"), body)
	}
}

// record indexes a manifest just stored if it names a subject.
func (f *referrersFront) record(name, contentType string, body []byte) {
	var m struct {
		MediaType    string `json:"mediaType"`
		ArtifactType string `json:"artifactType"`
		Config       *struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
		Subject *struct {
			Digest string `json:"digest"`
		} `json:"subject"`
		Annotations map[string]string `json:"annotations"`
	}
	if json.Unmarshal(body, &m) != nil || m.Subject == nil {
		return
	}
	e := referrerEntry{MediaType: m.MediaType, Digest: sha256Digest(body), Size: int64(len(body)),
		ArtifactType: m.ArtifactType, Annotations: m.Annotations}
	if e.MediaType == "" {
		e.MediaType = contentType
	}
	if m.Config != nil && (e.ArtifactType == "" || f.configType) {
		e.ArtifactType = m.Config.MediaType
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	subjects := f.index[name]
	if subjects == nil {
		subjects = map[string][]referrerEntry{}
		f.index[name] = subjects
	}
	for _, have := range subjects[m.Subject.Digest] {
		if have.Digest == e.Digest {
			return
		}
	}
	subjects[m.Subject.Digest] = append(subjects[m.Subject.Digest], e)
}

func (f *referrersFront) serveReferrers(w http.ResponseWriter, req *http.Request, name, dgst string) {
	if !strings.HasPrefix(dgst, "sha256:") && !strings.HasPrefix(dgst, "sha512:") {
		writeRegistryError(w, http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content")
		return
	}
	// Authorization as distribution decides it for the subject's manifest.
	probe := httptest.NewRecorder()
	head := req.Clone(req.Context())
	head.Method = http.MethodHead
	head.URL = &url.URL{Path: "/v2/" + name + "/manifests/" + dgst}
	head.RequestURI = head.URL.Path
	f.next.ServeHTTP(probe, head)
	if probe.Code == http.StatusUnauthorized || probe.Code == http.StatusForbidden {
		for k, v := range probe.Header() {
			w.Header()[k] = v
		}
		code := "UNAUTHORIZED"
		if probe.Code == http.StatusForbidden {
			code = "DENIED"
		}
		writeRegistryError(w, probe.Code, code, "access to the requested resource is not authorized")
		return
	}

	query := req.URL.Query()
	artifactType := query.Get("artifactType")
	f.mu.Lock()
	var entries []referrerEntry
	for _, e := range f.index[name][dgst] {
		if artifactType == "" || e.ArtifactType == artifactType {
			entries = append(entries, e)
		}
	}
	f.mu.Unlock()

	page, _ := strconv.Atoi(query.Get("page"))
	if f.pageSize > 0 {
		start := min(page*f.pageSize, len(entries))
		end := min(start+f.pageSize, len(entries))
		if end < len(entries) {
			next := url.Values{"page": {strconv.Itoa(page + 1)}}
			if artifactType != "" {
				next.Set("artifactType", artifactType)
			}
			w.Header().Set("Link", fmt.Sprintf(`</v2/%s/referrers/%s?%s>; rel="next"`, name, dgst, next.Encode()))
		}
		entries = entries[start:end]
	}
	if entries == nil {
		entries = []referrerEntry{}
	}
	body, err := json.Marshal(struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     []referrerEntry `json:"manifests"`
	}{2, ociIndexMediaType, entries})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ociIndexMediaType)
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	_, _ = w.Write(body)
}

func writeRegistryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}
