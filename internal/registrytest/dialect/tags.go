package dialect

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Cursor is what the registry puts in its next-page Link.
type Cursor int

const (
	// CursorLast continues after the tag named by `last` (the spec).
	CursorLast Cursor = iota
	// CursorOpaque puts an opaque token of its own in `last` and refuses
	// any other value (ECR).
	CursorOpaque
	// CursorNextPage puts an opaque token in `next_page`; `last` is read as
	// such a token too, so a tag name there starts over (older Quay).
	CursorNextPage
)

// Paging is how a registry pages GET /v2/<name>/tags/list.
type Paging struct {
	// DefaultN is the page size when the client sends no n; 0 is all.
	DefaultN int
	// MaxN is the largest page; a larger n is clamped, or refused by
	// TooLarge. 0 is no limit.
	MaxN     int
	TooLarge func(c *Call, n int) Reply
	// IgnoreN answers every tag whatever n says (GCR).
	IgnoreN bool
	// Cursor is the next-page cursor; BadCursor answers one this front
	// did not issue (CursorOpaque).
	Cursor    Cursor
	BadCursor func(c *Call) Reply
	// Link renders the URL of the next page; nil is distribution's
	// "/v2/<name>/tags/list?last=X&n=N".
	Link func(c *Call, n int, cursor string) string
	// Hashed orders tags by a hash of their names instead of lexically.
	Hashed bool
	// ContentType of the answer; default application/json.
	ContentType string
	// Indent pretty-prints the answer with this indent.
	Indent string
	// Extra adds fields to the answer (GCR's manifest and child).
	Extra func(c *Call, tags []string, body map[string]any)
	// NeedJSONAccept answers 406 unless Accept allows application/json.
	NeedJSONAccept func(c *Call) Reply
}

// cursor is an opaque paging token: the last tag of a page of repo.
type cursor struct{ repo, last string }

func (f *Front) serveTags(c *Call, w http.ResponseWriter, r *http.Request) {
	p := f.d.Tags
	if p.NeedJSONAccept != nil && !acceptsJSON(r) {
		p.NeedJSONAccept(c).write(w, r.Method)
		return
	}
	all, ok := f.tagsOf(r.Context(), c.Repo)
	if !ok {
		f.forward(w, r)
		return
	}
	if p.Hashed {
		slices.SortFunc(all, func(a, b string) int { return strings.Compare(tagHash(a), tagHash(b)) })
	}
	q := r.URL.Query()
	n := p.DefaultN
	if s := q.Get("n"); s != "" && !p.IgnoreN {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			jsonError(http.StatusBadRequest, jsonType, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", map[string]string{"n": s}).write(w, r.Method)
			return
		}
		n = v
		if p.MaxN > 0 && n > p.MaxN {
			if p.TooLarge != nil {
				p.TooLarge(c, n).write(w, r.Method)
				return
			}
			n = p.MaxN
		}
	}
	start, rep, ok := f.pageStart(c, all, q)
	if !ok {
		rep.write(w, r.Method)
		return
	}
	page := all[start:]
	var next string
	if n > 0 && len(page) > n {
		page = page[:n]
		next = f.nextCursor(c.Repo, page[len(page)-1])
	}
	body := map[string]any{"name": c.Repo, "tags": page}
	if p.Extra != nil {
		p.Extra(c, page, body)
	}
	var b []byte
	var err error
	if p.Indent != "" {
		b, err = json.MarshalIndent(body, "", p.Indent)
	} else {
		b, err = json.Marshal(body)
	}
	if err != nil {
		panic(err)
	}
	ct := p.ContentType
	if ct == "" {
		ct = jsonType
	}
	out := newReply(http.StatusOK, ct, string(b)+"\n")
	if next != "" {
		link := p.Link
		if link == nil {
			link = distributionLink
		}
		out = out.with("Link", fmt.Sprintf(`<%s>; rel="next"`, link(c, n, next)))
	}
	out.write(w, r.Method)
}

// pageStart finds where the requested page starts.
func (f *Front) pageStart(c *Call, all []string, q url.Values) (int, Reply, bool) {
	p := f.d.Tags
	last := q.Get("last")
	switch p.Cursor {
	case CursorOpaque, CursorNextPage:
		tok := last
		if p.Cursor == CursorNextPage && q.Get("next_page") != "" {
			tok = q.Get("next_page")
		}
		if tok == "" {
			return 0, Reply{}, true
		}
		f.mu.Lock()
		cur, ok := f.cursors[tok]
		f.mu.Unlock()
		if !ok || cur.repo != c.Repo {
			if p.Cursor == CursorOpaque && p.BadCursor != nil {
				return 0, p.BadCursor(c), false
			}
			return 0, Reply{}, true // read as no cursor: the first page again
		}
		last = cur.last
	}
	if last == "" {
		return 0, Reply{}, true
	}
	if i := slices.Index(all, last); i >= 0 {
		return i + 1, Reply{}, true
	}
	if p.Hashed {
		return len(all), Reply{}, true
	}
	i, _ := slices.BinarySearch(all, last)
	if i < len(all) && all[i] == last {
		i++
	}
	return i, Reply{}, true
}

// nextCursor is the cursor value after last: the tag itself, or a token.
func (f *Front) nextCursor(repo, last string) string {
	switch f.d.Tags.Cursor {
	case CursorOpaque, CursorNextPage:
		tok := randomString(40)
		if f.d.Tags.Cursor == CursorNextPage {
			// Quay's tokens are Fernet tokens: "gAAAAAB" and base64.
			tok = "gAAAAAB" + base64.URLEncoding.EncodeToString([]byte(randomString(60)))
		}
		f.mu.Lock()
		f.cursors[tok] = cursor{repo: repo, last: last}
		f.mu.Unlock()
		return tok
	default:
		return last
	}
}

// distributionLink is distribution's next link: relative, last then n.
func distributionLink(c *Call, n int, cursor string) string {
	return tagsPath(c.Repo) + "?" + url.Values{"last": {cursor}, "n": {strconv.Itoa(n)}}.Encode()
}

func tagsPath(repo string) string { return "/v2/" + repo + "/tags/list" }

// queryPairs renders key=value pairs in the given order, escaped.
func queryPairs(kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

func tagHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return string(h[:])
}

// acceptsJSON reports whether Accept is absent or allows application/json.
func acceptsJSON(r *http.Request) bool {
	values := r.Header.Values("Accept")
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && (mt == "application/json" || mt == "*/*" || mt == "application/*") {
				return true
			}
		}
	}
	return false
}
