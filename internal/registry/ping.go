package registry

import (
	"io"
	"net/http"
	"strings"
	"sync"
)

// pingCache answers the registry's unauthenticated `GET /v2/` (the ping
// go-containerregistry sends before it authenticates each repository) from
// memory after the first answer per scheme and host: the challenge describes
// the registry, not the repository, so one ping per registry serves every
// repository of a run. Only the answers that carry the challenge (200 and
// 401) are kept; failures are not, so the next caller pings again.
type pingCache struct {
	inner http.RoundTripper

	mu      sync.Mutex
	entries map[string]*pingEntry
}

type pingEntry struct {
	mu     sync.Mutex // held while the first ping is in flight
	done   bool
	status int
	header http.Header
}

// pingHeaders are the headers of a ping answer that clients read.
var pingHeaders = []string{"Www-Authenticate", "Docker-Distribution-Api-Version", "Content-Type"}

func newPingCache(inner http.RoundTripper) *pingCache {
	return &pingCache{inner: inner, entries: map[string]*pingEntry{}}
}

func (p *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.Header.Get("Authorization") != "" {
		return p.inner.RoundTrip(req)
	}
	key := strings.ToLower(req.URL.Scheme + "://" + req.URL.Host)
	p.mu.Lock()
	e, ok := p.entries[key]
	if !ok {
		e = &pingEntry{}
		p.entries[key] = e
	}
	p.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.response(req), nil
	}
	resp, err := p.inner.RoundTrip(req)
	if err != nil || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	e.done, e.status, e.header = true, resp.StatusCode, http.Header{}
	for _, h := range pingHeaders {
		if v, ok := resp.Header[h]; ok {
			e.header[h] = append([]string(nil), v...)
		}
	}
	return e.response(req), nil
}

func (e *pingEntry) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:     http.StatusText(e.status),
		StatusCode: e.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  e.header.Clone(),
		Body:    http.NoBody,
		Request: req,
	}
}
