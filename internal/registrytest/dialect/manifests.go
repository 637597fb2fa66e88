package dialect

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// everyManifestType is an Accept header for every manifest type.
var everyManifestType = strings.Join([]string{
	string(types.OCIImageIndex), string(types.OCIManifestSchema1),
	string(types.DockerManifestList), string(types.DockerManifestSchema2),
}, ", ")

// quota is Docker Hub's pull quota: RateLimit-Limit and RateLimit-Remaining
// over a 21600 s window.
type quota struct{ limit, remaining int }

// SetQuota sets the pull quota Docker Hub reports on manifest answers
// (ratelimit-limit, ratelimit-remaining, docker-ratelimit-source); each
// manifest GET spends one pull, HEAD none, and a GET with none left gets
// the rate-limit answer.
func (f *Front) SetQuota(limit, remaining int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quota = &quota{limit: limit, remaining: remaining}
}

// QuotaHeaders returns the quota headers as they stand, nil without quota.
func (f *Front) QuotaHeaders(r *http.Request) http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.quota == nil {
		return nil
	}
	h := http.Header{}
	h.Set("RateLimit-Limit", fmt.Sprintf("%d;w=21600", f.quota.limit))
	h.Set("RateLimit-Remaining", fmt.Sprintf("%d;w=21600", f.quota.remaining))
	h.Set("Docker-RateLimit-Source", clientIP(r))
	return h
}

// spendPull takes one pull of the quota; false when none is left.
func (f *Front) spendPull() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.quota == nil {
		return true
	}
	if f.quota.remaining <= 0 {
		return false
	}
	f.quota.remaining--
	return true
}

func (f *Front) serveManifest(c *Call, w http.ResponseWriter, r *http.Request) {
	quirk := f.headQuirk()
	if r.Method == http.MethodHead {
		switch quirk {
		case HeadNotAllowed:
			newReply(http.StatusMethodNotAllowed, textUTF8, "405 method not allowed\n", "Allow", "GET, PUT, DELETE").write(w, r.Method)
			return
		case HeadRedirectGET:
			loc := f.signURL(c, "manifests", http.MethodGet)
			newReply(http.StatusTemporaryRedirect, "", "", "Location", loc).write(w, r.Method)
			return
		case HeadOctetStream:
			f.headOctetStream(c, w, r)
			return
		}
	}
	if r.Method == http.MethodGet && !f.spendPull() {
		f.withQuota(f.rateLimited(c), r).write(w, r.Method)
		return
	}
	rec := f.record(r)
	if rec.Code == http.StatusNotFound {
		if rep, ok := f.rewriteNotFound(c, rec); ok {
			rep.write(w, r.Method)
			return
		}
	}
	if rec.Code == http.StatusOK && rec.Header().Get("Content-Type") == indexType && !accepts(r, indexType) {
		// distribution v2 answered so; v3 serves the index anyway.
		if f.d.AcceptMismatch != nil {
			f.d.AcceptMismatch(c, indexType).write(w, r.Method)
			return
		}
		jsonError(http.StatusNotFound, jsonType, "MANIFEST_UNKNOWN", "OCI index found, but accept header does not support OCI indexes").write(w, r.Method)
		return
	}
	if rec.Code == http.StatusOK && r.Method == http.MethodHead && quirk == HeadIndexChild {
		f.indexChild(c, rec)
	}
	h := rec.Header()
	if q := f.QuotaHeaders(r); q != nil {
		for k, v := range q {
			h[k] = v
		}
	}
	if quirk == NoDigest || (quirk == HeadNoDigest && r.Method == http.MethodHead) {
		h.Del("Docker-Content-Digest")
	}
	writeRecorded(w, rec)
}

func (f *Front) withQuota(rep Reply, r *http.Request) Reply {
	for k, v := range f.QuotaHeaders(r) {
		rep = rep.with(k, v[0])
	}
	return rep
}

// rewriteNotFound turns distribution's MANIFEST_UNKNOWN into the
// dialect's answer for an unknown tag or an Accept header that lacks the
// stored type.
func (f *Front) rewriteNotFound(c *Call, rec *httptest.ResponseRecorder) (Reply, bool) {
	var body struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.Errors) == 0 || body.Errors[0].Code != "MANIFEST_UNKNOWN" {
		return Reply{}, false
	}
	msg := body.Errors[0].Message
	if strings.Contains(msg, "accept header does not support") {
		if f.d.AcceptMismatch == nil {
			return Reply{}, false
		}
		found := string(types.OCIManifestSchema1)
		if strings.Contains(msg, "OCI index") {
			found = indexType
		}
		return f.d.AcceptMismatch(c, found), true
	}
	if f.d.MissingManifest == nil {
		return Reply{}, false
	}
	return f.d.MissingManifest(c), true
}

// headOctetStream answers HEAD as Artifactory does: 200, Content-Type
// application/octet-stream, checksum headers, no Docker-Content-Digest.
func (f *Front) headOctetStream(c *Call, w http.ResponseWriter, r *http.Request) {
	rec := f.inner(r.Context(), http.MethodGet, r.URL.Path, everyManifestType)
	if rec.Code != http.StatusOK {
		if rep, ok := f.rewriteNotFound(c, rec); ok {
			rep.write(w, r.Method)
			return
		}
		writeRecorded(w, rec)
		return
	}
	body := rec.Body.Bytes()
	s1 := sha1.Sum(body) //nolint:gosec // Artifactory's checksum header, not security
	s256 := sha256.Sum256(body)
	ref := c.Ref
	if i := strings.LastIndex(ref, ":"); i >= 0 {
		ref = ref[i+1:]
	}
	newReply(http.StatusOK, "application/octet-stream", string(body),
		"ETag", hex.EncodeToString(s1[:]),
		"X-Checksum-Sha1", hex.EncodeToString(s1[:]),
		"X-Checksum-Sha256", hex.EncodeToString(s256[:]),
		"X-Artifactory-Filename", ref,
		"Content-Disposition", fmt.Sprintf("attachment; filename=%q; filename*=UTF-8''%s", ref, ref),
		"Accept-Ranges", "bytes",
	).write(w, http.MethodHead)
}

// indexChild rewrites a HEAD answer for an index to describe its
// linux/amd64 image instead.
func (f *Front) indexChild(c *Call, rec *httptest.ResponseRecorder) {
	mt := types.MediaType(rec.Header().Get("Content-Type"))
	if !mt.IsIndex() {
		return
	}
	full := f.inner(c.Req.Context(), http.MethodGet, c.Req.URL.Path, everyManifestType)
	var idx struct {
		Manifests []struct {
			MediaType string `json:"mediaType"`
			Size      int64  `json:"size"`
			Digest    string `json:"digest"`
			Platform  *struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if json.Unmarshal(full.Body.Bytes(), &idx) != nil {
		return
	}
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == "amd64" {
			h := rec.Header()
			h.Set("Docker-Content-Digest", m.Digest)
			h.Set("Content-Type", m.MediaType)
			h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
			h.Set("Etag", `"`+m.Digest+`"`)
			return
		}
	}
}

// accepts reports whether the Accept header names mediaType (parameters
// and q-values aside; */* does not count, as in distribution).
func accepts(r *http.Request, mediaType string) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == mediaType {
				return true
			}
		}
	}
	return false
}

// writeRecorded copies a recorded answer to w.
func writeRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(bytes.Clone(rec.Body.Bytes()))
}
