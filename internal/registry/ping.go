package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/memo"
)

// pingCache answers the registry's unauthenticated `GET /v2/` (the ping
// go-containerregistry sends before it authenticates each repository) from
// memory after the first answer per scheme and host: the challenge describes
// the registry, not the repository, so one ping per registry serves every
// repository of a run. Only the answers that carry the challenge (200 and
// 401) are kept, and one failure: a server that answers the TLS handshake in
// plain text does not speak HTTPS on that port. (go-containerregistry pings
// a registry that may speak plain HTTP over both schemes at once, for every
// repository: without this, each repository of a local plain-HTTP registry
// cost a TLS handshake.) Other failures are not kept, so the next caller
// pings again.
type pingCache struct {
	inner   http.RoundTripper
	answers memo.Map[string, *pingAnswer]
}

// pingAnswer is what is kept of a ping's response, or the handshake failure
// of a scheme the server does not speak.
type pingAnswer struct {
	status int
	header http.Header
	err    error
}

// pingHeaders are the headers of a ping answer that clients read.
var pingHeaders = []string{"Www-Authenticate", "Docker-Distribution-Api-Version", "Content-Type"}

// errNotKept marks a ping answer that is not shared: its caller gets the
// response itself, and callers that waited for it ping on their own.
var errNotKept = errors.New("ping answer not kept")

func newPingCache(inner http.RoundTripper) *pingCache {
	return &pingCache{inner: inner}
}

func isPing(req *http.Request) bool {
	return req.Method == http.MethodGet && req.URL.Path == "/v2/" && req.Header.Get("Authorization") == ""
}

func pingKey(req *http.Request) string {
	return strings.ToLower(req.URL.Scheme + "://" + req.URL.Host)
}

func (p *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isPing(req) {
		return p.inner.RoundTrip(req)
	}
	var own *http.Response
	var ownErr error
	computed := false
	a, err := p.answers.Get(pingKey(req), func() (*pingAnswer, error) {
		computed = true
		own, ownErr = p.inner.RoundTrip(req)
		if _, ok := errors.AsType[tls.RecordHeaderError](ownErr); ok {
			return &pingAnswer{err: ownErr}, nil
		}
		if ownErr != nil || (own.StatusCode != http.StatusOK && own.StatusCode != http.StatusUnauthorized) {
			return nil, errNotKept
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(own.Body, 64<<10))
		own.Body.Close()
		kept := &pingAnswer{status: own.StatusCode, header: http.Header{}}
		for _, h := range pingHeaders {
			if v, ok := own.Header[h]; ok {
				kept.header[h] = append([]string(nil), v...)
			}
		}
		return kept, nil
	})
	switch {
	case err == nil:
		return a.response(req)
	case computed:
		return own, ownErr
	}
	return p.inner.RoundTrip(req)
}

// known returns the challenge of a registry whose ping answer is kept,
// without sending anything; nil when none is kept.
func (p *pingCache) known(ctx context.Context, reg name.Registry) *transport.Challenge {
	ch, err := transport.Ping(ctx, reg, keptOnly{p})
	if err != nil {
		return nil
	}
	return ch
}

// keptOnly answers pings from the kept answers and fails everything else.
type keptOnly struct{ p *pingCache }

func (k keptOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if isPing(req) {
		if a, ok := k.p.answers.Lookup(pingKey(req)); ok {
			return a.response(req)
		}
	}
	return nil, errNotKept
}

func (a *pingAnswer) response(req *http.Request) (*http.Response, error) {
	if a.err != nil {
		return nil, a.err
	}
	return &http.Response{
		Status:     http.StatusText(a.status),
		StatusCode: a.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  a.header.Clone(),
		Body:    http.NoBody,
		Request: req,
	}, nil
}
