package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
)

// Class says what kind of failure an Error is, so that callers can tell the
// user what to do about it.
type Class int

// The failure classes. Their order carries no meaning.
const (
	ClassUnknown Class = iota
	ClassNotFound
	ClassUnauthorized
	ClassDenied
	ClassRateLimited
	ClassNetwork
	ClassTimeout
	ClassTLS
	ClassMalformed
	ClassDigestMismatch
	ClassUnsupported
	// ClassCredentials: the credentials could not be obtained (an ECR API
	// call, a credential helper), before the registry was asked.
	ClassCredentials
	// ClassNoMatchingPlatform: a platform was asked for that the image or
	// index does not offer. The error says what it offers.
	ClassNoMatchingPlatform
)

var classNames = map[Class]string{
	ClassUnknown:        "unknown",
	ClassNotFound:       "not found",
	ClassUnauthorized:   "unauthorized",
	ClassDenied:         "denied",
	ClassRateLimited:    "rate-limited",
	ClassNetwork:        "network",
	ClassTimeout:        "timeout",
	ClassTLS:            "TLS",
	ClassMalformed:      "malformed response",
	ClassDigestMismatch: "digest mismatch",
	ClassUnsupported:    "unsupported",
	ClassCredentials:    "credentials unavailable",

	ClassNoMatchingPlatform: "no matching platform",
}

func (c Class) String() string { return classNames[c] }

// Error is a failure to resolve a reference, classified. It holds facts:
// what failed, what the registry answered, which credentials were in use.
// What to do about it is the provider's to say.
type Error struct {
	Class      Class
	Registry   string // canonical registry host
	Repository string
	Identifier string // tag or digest asked for; empty for repository-wide operations
	// StatusCode is the HTTP status the registry answered with, if any.
	StatusCode int
	// Codes are the registry's error codes (MANIFEST_UNKNOWN, DENIED, …).
	Codes []string
	// Messages are the messages of those errors, control characters
	// replaced and each cut to maxMessageLength: what a registry says in
	// words (ECR names the IAM action it denied).
	Messages []string
	// TokenServer reports that the failing answer came from the token realm
	// of a Bearer challenge rather than from the registry's own API.
	TokenServer bool
	// Host is the host[:port] of the request that failed, when known: the
	// registry's own, or its token realm's, or a redirect target's.
	Host string
	// PlainHTTPRefused reports that plain HTTP was not tried: the registry
	// is neither on loopback nor marked insecure, so it (and every host it
	// sends the client to) is spoken to over HTTPS only.
	PlainHTTPRefused bool
	// RetryAfter is what a rate-limited registry asked us to wait, if it said.
	RetryAfter time.Duration
	// Quota is the pull quota the registry stated in the failing answer's
	// RateLimit-Limit and RateLimit-Remaining headers (Docker Hub); nil when
	// it stated none.
	Quota *PullQuota
	// Credentials says which credentials were used, never what they are.
	Credentials auth.Origin
	// Challenge is the registry's WWW-Authenticate challenge (of its ping),
	// when it refused or denied the credentials and that answer is known.
	Challenge *transport.Challenge
	Err       error
}

func (e *Error) Error() string {
	what := e.Registry + "/" + e.Repository
	if e.Identifier != "" {
		if strings.Contains(e.Identifier, ":") {
			what += "@" + e.Identifier
		} else {
			what += ":" + e.Identifier
		}
	}
	return fmt.Sprintf("%s: %s: %v", what, e.Class, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// classify wraps err, whatever layer it came from, into an *Error whose text
// is fit for a diagnostic (see presentable).
func classify(err error, base Error) *Error {
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	e := base
	e.Class = classOf(err)
	var terr *transport.Error
	if errors.As(err, &terr) {
		e.StatusCode = terr.StatusCode
		for _, d := range terr.Errors {
			e.Codes = append(e.Codes, string(d.Code))
			if d.Message != "" {
				e.Messages = append(e.Messages, cut(printable(d.Message), maxMessageLength))
			}
		}
		e.TokenServer = terr.Request != nil && !isRegistryAPI(terr.Request.URL.Path)
	}
	var qe *quotaError
	if errors.As(err, &qe) {
		q := qe.quota
		e.Quota = &q
	}
	e.Host = failedHost(err)
	var plain *PlainHTTPError
	e.PlainHTTPRefused = errors.As(err, &plain)
	e.Err = presentable(err)
	return &e
}

// failedHost is the host[:port] the failing request went to: the one that
// answered, or the one it could not reach.
func failedHost(err error) string {
	var terr *transport.Error
	if errors.As(err, &terr) && terr.Request != nil && terr.Request.URL != nil {
		return terr.Request.URL.Host
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			return u.Host
		}
	}
	return ""
}

// registryAPIPath matches the registry API paths a read uses; token realms
// are anything else, including those under /v2/ (Google's /v2/token, Quay's
// /v2/auth).
var registryAPIPath = regexp.MustCompile(`^/v2/?$|^/v2/.+/(manifests|blobs|referrers)/[^/]+$|^/v2/.+/tags/list$`)

func isRegistryAPI(path string) bool { return registryAPIPath.MatchString(path) }

// PullQuota is a registry's pull quota as its RateLimit-Limit and
// RateLimit-Remaining headers state it ("100;w=21600": 100 pulls per 21600
// seconds).
type PullQuota struct {
	Limit, Remaining int
	// Window is the period the limit counts; 0 when the headers do not say.
	Window time.Duration
}

// pullQuotaOf reads RateLimit-Limit and RateLimit-Remaining with the
// parser the pull-limit watch uses; nil unless both are there and hold a
// count.
func pullQuotaOf(h http.Header) *PullQuota {
	r, ok := parseRateLimit(h)
	if !ok {
		return nil
	}
	return &PullQuota{Limit: r.Limit, Remaining: r.Remaining, Window: r.Window}
}

// checkAnswer is transport.CheckError for an answer that must be 200 OK,
// keeping what the answer's headers say that the error would lose: the pull
// quota a rate-limited registry states.
func checkAnswer(resp *http.Response) error {
	err := transport.CheckError(resp, http.StatusOK)
	if err == nil {
		return nil
	}
	if q := pullQuotaOf(resp.Header); q != nil {
		return &quotaError{err: err, quota: *q}
	}
	return err
}

// quotaError is a refusal with the pull quota its answer stated.
type quotaError struct {
	err   error
	quota PullQuota
}

func (q *quotaError) Error() string { return q.err.Error() }
func (q *quotaError) Unwrap() error { return q.err }

// maxCauseLength bounds the text of an error shown to the user: registries
// and proxies answer failures with whole HTML pages, which go-containerregistry
// quotes in its errors.
const maxCauseLength = 1024

// noTokenMarker starts go-containerregistry's error for a token response
// without a token, which it follows with the whole response body: a body
// that may hold a refresh token or a token under another name.
const noTokenMarker = "no token in bearer response"

// presentable returns err with a text that can be shown and logged: URLs of
// failed requests without query values (presigned URLs carry signatures),
// token responses left out, control characters replaced, and at most
// maxCauseLength bytes long. errors.As and errors.Is still see err.
func presentable(err error) error {
	msg := err.Error()
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			orig, redacted := uerr.URL, redactedURL(u)
			uerr.URL = redacted
			// Errors that wrap it formatted their text with the URL before.
			msg = strings.ReplaceAll(err.Error(), orig, redacted)
		}
	}
	changed := msg != err.Error()
	if i := strings.Index(msg, noTokenMarker); i >= 0 {
		msg = msg[:i] + "the token server answered without a token (its answer is not shown: it may hold credentials)"
		changed = true
	}
	if clean := printable(msg); clean != msg {
		msg, changed = clean, true
	}
	if len(msg) > maxCauseLength {
		msg = cut(msg, maxCauseLength)
		changed = true
	}
	if !changed {
		return err
	}
	return &presentedError{err: err, msg: msg}
}

// maxMessageLength bounds each registry error message kept as a fact.
const maxMessageLength = 512

// cut shortens s to at most n bytes, on a rune boundary, saying how much
// was left out.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	at := n
	for at > 0 && !utf8.RuneStart(s[at]) {
		at--
	}
	return fmt.Sprintf("%s… (%d more bytes not shown)", s[:at], len(s)-at)
}

// printable replaces invalid UTF-8 and control characters other than
// newlines and tabs, which a hostile body could use to rewrite a terminal.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}

// presentedError is an error with a text fit to show; it unwraps to the
// original.
type presentedError struct {
	err error
	msg string
}

func (p *presentedError) Error() string { return p.msg }
func (p *presentedError) Unwrap() error { return p.err }

// classOf decides the class of a failure from the types in its chain, in
// order of what the user can act on, and from plainErrors only where
// go-containerregistry leaves nothing else to go by.
func classOf(err error) Class {
	var ce *classifiedError
	if errors.As(err, &ce) {
		return ce.class
	}
	var pe *PlatformError
	if errors.As(err, &pe) {
		return ClassNoMatchingPlatform
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		return ClassUnsupported
	}
	// Before the network checks: a failure to get credentials arrives wrapped
	// in the *url.Error of the request it was for, and may be a parse error
	// of the Docker config.
	var cf *auth.CredentialError
	if errors.As(err, &cf) {
		return ClassCredentials
	}
	// A request refused for where it would have gone: the registry (or
	// something in front of it) sent us somewhere credentials or content
	// must not go. Before TLS: the ping joins this with its plain-HTTP
	// fallback's failure.
	var refused *RefusedError
	if errors.As(err, &refused) {
		return ClassMalformed
	}
	// Token responses that are not JSON, or not the JSON of a token.
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return ClassMalformed
	}
	if c, ok := plainClass(err, beforeTypes); ok {
		return c
	}
	// TLS first: go-containerregistry's ping joins the HTTPS failure with
	// the answer of its plain-HTTP fallback, and the TLS failure is the one
	// the user can act on.
	if isTLSError(err) {
		return ClassTLS
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return classOfStatus(terr)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, context.Canceled):
		return ClassNetwork
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return ClassTimeout
		}
		return ClassNetwork
	}
	if c, ok := plainClass(err, afterTypes); ok {
		return c
	}
	// Plain HTTP the guard refused, with nothing else to go by: the
	// registry (or its realm) asked for what its settings do not allow.
	// Last: go-containerregistry's ping joins this refusal with the
	// failure of its HTTPS attempt, which is the one to report.
	var plain *PlainHTTPError
	if errors.As(err, &plain) {
		return ClassMalformed
	}
	return ClassUnknown
}

// When a row of plainErrors is consulted: before the typed checks (its text
// may stand inside a *url.Error, which is a net.Error), or only when no type
// in the chain decided.
const (
	beforeTypes = iota
	afterTypes
)

// plainErrors are the failures go-containerregistry v0.22 reports as plain
// text (fmt.Errorf without a type of its own), or joins as text: the only
// place this package matches error text. Each row names where the text comes
// from, and has a row in TestPlainErrors.
var plainErrors = []struct {
	text  string
	class Class
	when  int
}{
	// transport/bearer.go: a realm that is not a URL, or one its realm
	// policy refuses (scheme, private or link-local host).
	{"invalid realm in www-authenticate", ClassMalformed, beforeTypes},
	// transport/bearer.go: a token server that redirects somewhere the
	// realm policy refuses.
	{"refusing token-server redirect", ClassMalformed, beforeTypes},
	// transport/bearer.go: a Bearer challenge without a realm.
	{"malformed www-authenticate", ClassMalformed, beforeTypes},
	// transport/bearer.go: a token response without token or access_token.
	{noTokenMarker, ClassMalformed, beforeTypes},
	// internal/limit: a token response or error body over its size limit.
	{"byte limit", ClassMalformed, beforeTypes},
	// transport.Error of the plain-HTTP fallback of a ping (loopback and
	// insecure registries): the registry speaks HTTPS, so the HTTPS attempt
	// failed in TLS (a handshake the registry broke off, such as for a
	// missing client certificate).
	{"HTTP request to an HTTPS server", ClassTLS, beforeTypes},
	// net/http: an HTTPS request answered in plain HTTP. The registry (or
	// what listens at its address) speaks plain HTTP: no TLS to be had.
	{"server gave HTTP response to HTTPS client", ClassTLS, beforeTypes},
	// transport/ping.go joins the failures of both schemes into one text.
	{"connection refused", ClassNetwork, afterTypes},
	{"no such host", ClassNetwork, afterTypes},
	{"connection reset", ClassNetwork, afterTypes},
	{"EOF", ClassNetwork, afterTypes},
}

func plainClass(err error, when int) (Class, bool) {
	msg := err.Error()
	for _, row := range plainErrors {
		if row.when == when && strings.Contains(msg, row.text) {
			return row.class, true
		}
	}
	return ClassUnknown, false
}

// classOfStatus ranks what a registry answered: the HTTP status decides
// between not found, unauthorized and denied before any body code, because
// registries put codes in their bodies that contradict the status (ECR
// answers a refused password with 401 and code DENIED). Codes decide only
// for statuses that say nothing of their own.
func classOfStatus(terr *transport.Error) Class {
	switch terr.StatusCode {
	case http.StatusUnauthorized:
		return ClassUnauthorized
	case http.StatusForbidden:
		return ClassDenied
	case http.StatusNotFound:
		return ClassNotFound
	case http.StatusTooManyRequests:
		return ClassRateLimited
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return ClassNotFound
		case transport.UnauthorizedErrorCode:
			return ClassUnauthorized
		case transport.DeniedErrorCode:
			return ClassDenied
		case transport.TooManyRequestsErrorCode:
			return ClassRateLimited
		}
	}
	if terr.StatusCode >= 500 {
		return ClassNetwork
	}
	return ClassMalformed
}

// malformedf makes a malformed-response error.
func malformedf(format string, args ...any) error {
	return &classifiedError{class: ClassMalformed, err: fmt.Errorf(format, args...)}
}

// classifiedError carries a class decided where the failure was found, for
// failures that have no HTTP status or Go error type of their own.
type classifiedError struct {
	class Class
	err   error
}

func (c *classifiedError) Error() string { return c.err.Error() }
func (c *classifiedError) Unwrap() error { return c.err }

func isTLSError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	// An alert from the peer (a registry that wants a client certificate,
	// or refuses ours) arrives as a net.OpError with Op "remote error".
	var opErr *net.OpError
	remoteAlert := errors.As(err, &opErr) && opErr.Op == "remote error"
	return errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) ||
		errors.As(err, &invalidErr) || errors.As(err, &recordErr) || errors.As(err, &alert) || remoteAlert
}
