package registry

// How a request is made. Every request this package sends, and every request
// go-containerregistry sends for it (ping, token exchange, redirects), goes
// down one stack of round trippers per registry host:
//
//	operation (Resolve, Manifest, Tags)      run: one session, failures classified by explain
//	  │  session → Client.do                 refreshable credentials (ECR) renewed once on 401/403
//	  ▼
//	go-containerregistry bearer/basic        per repository (Client.transport): challenge → token, pull scope only
//	  ▼
//	transport.NewUserAgent                   names the provider and its version
//	  ▼
//	tokenWatch                               per repository: the token's lifetime, a refused token (Client.transport
//	  │                                      renews the transport once for all readers), a changed realm (token.go)
//	  ▼
//	pingCache                                one GET /v2/ per scheme and host, shared by every repository
//	  ▼
//	retryTransport                           GET, HEAD and refresh-token POST: 429, 5xx and network errors, honouring
//	  │                                      Retry-After inside the deadline
//	  ▼
//	oauthFallbackTransport                   refresh-token POST refused with 400/401/405 → reported as 404, so the GET is tried
//	  ▼
//	guardTransport (+ guardDial)             where a request may go (plain HTTP included), what a redirect may carry,
//	  │                                      how much is read
//	  ▼
//	hostRouter                               the TLS settings of the request's own host:port (hosts.go)
//	  ▼
//	http.Transport                           this package's own, one per TLS configuration; never http.DefaultTransport
//
// The order matters. The guard sits lowest so that nothing above it, nor
// net/http following a redirect, can send a request it would refuse. Retries
// sit above the OAuth fallback so that a retried token POST is recognised
// again, and below the ping cache so that a ping that failed for a passing
// reason is retried before it is (not) kept. The ping cache sits below the
// user agent and above everything that may fail, so that only real answers
// are shared.

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// base is the unauthenticated stack under every repository of a registry,
// from its ping cache down.
type base struct {
	pings *pingCache
}

// newBase assembles the stack drawn above over the client's host router.
// insecure is for the registries marked insecure: the guard lets their
// requests go over plain HTTP anywhere, not only to loopback.
func (c *Client) newBase(insecure bool) *base {
	var rt http.RoundTripper = &guardTransport{inner: c.router, plainAnywhere: insecure}
	rt = &oauthFallbackTransport{inner: rt}
	rt = &retryTransport{inner: rt, maxRetries: c.opts.MaxRetries}
	return &base{pings: newPingCache(rt)}
}

// session gives one operation access to its repository's authenticated
// transport, made on first use: an operation the cache answers entirely
// never pings or authenticates.
type session struct {
	c   *Client
	ref imageref.Reference
	rt  *repoTransport
	err error
}

func (s *session) transport(ctx context.Context) (*repoTransport, error) {
	if s.err == nil && (s.rt == nil || s.rt.stale()) {
		s.rt, s.err = s.c.transport(ctx, s.ref)
	}
	return s.rt, s.err
}

// run is the one wrapper of every operation on a repository: it gives fn a
// session and turns its failure into an *Error about what (ref's registry
// and repository, and identifier: a tag, a digest, or "" for the whole
// repository) with what a diagnostic needs to say.
func run[T any](ctx context.Context, c *Client, ref imageref.Reference, identifier string, fn func(context.Context, *session) (T, error)) (T, error) {
	ctx, note := withRateLimitNote(ctx)
	s := &session{c: c, ref: ref}
	v, err := fn(ctx, s)
	if err == nil {
		return v, nil
	}
	base := Error{Registry: ref.Registry, Repository: ref.Repository, Identifier: identifier}
	return v, c.explain(ctx, err, base, s, note)
}

// explain classifies a failure and adds what a diagnostic needs to say what
// to do: where the credentials came from and, when they were refused or
// denied, the registry's challenge. It sends no request: the challenge is the
// one the ping cache holds.
func (c *Client) explain(ctx context.Context, err error, base Error, s *session, note *rateLimitNote) *Error {
	e := classify(err, base)
	if d, seen := note.get(); seen && e.Class == ClassRateLimited {
		e.RetryAfter = d
	}
	if e.Class != ClassTimeout && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.Class = ClassTimeout
	}
	if s.rt != nil && s.rt.auth != nil {
		e.Credentials = auth.OriginOf(s.rt.auth)
	}
	if e.Class == ClassUnauthorized || e.Class == ClassDenied {
		e.Challenge = c.base(s.ref.Registry).pings.known(ctx, c.repository(s.ref).Registry)
	}
	return e
}

// Invalidator is implemented by authenticators whose credentials can go stale
// before they say they expire (ECR passwords): told which credentials a
// registry refused, they get new ones for the next request.
type Invalidator interface {
	Invalidate(refused *authn.AuthConfig)
}

// get sends an authenticated GET.
func (c *Client) get(ctx context.Context, s *session, url, accept string) (*http.Response, error) {
	return c.do(ctx, s, http.MethodGet, url, accept)
}

// do sends an authenticated request. When the registry refuses the
// repository's token, or credentials that can be refreshed, the transport is
// renewed or the credentials refreshed, and the request is sent once more.
func (c *Client) do(ctx context.Context, s *session, method, url, accept string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		rt, err := s.transport(ctx)
		if err != nil {
			return nil, err
		}
		client := &http.Client{Transport: rt.rt}
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			return nil, err
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		inv, refreshable := rt.auth.(Invalidator)
		var used *authn.AuthConfig
		if refreshable && attempt == 0 {
			used, _ = authn.Authorization(ctx, rt.auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		c.observeRateLimit(ctx, s.ref.Registry, method, resp.Header)
		refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
		// A refused token makes the transport stale: s.transport renews it.
		renew := resp.StatusCode == http.StatusUnauthorized && rt.watch != nil && rt.watch.tokenRefused()
		refresh := refreshable && used != nil
		if !refused || attempt > 0 || (!renew && !refresh) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if refresh {
			inv.Invalidate(used)
		}
	}
}
