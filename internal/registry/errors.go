package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
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

// Error is a failure to resolve a reference, classified.
type Error struct {
	Class      Class
	Registry   string // canonical registry host
	Repository string
	Identifier string // tag or digest asked for; empty for repository-wide operations
	// StatusCode is the HTTP status the registry answered with, if any.
	StatusCode int
	// Codes are the registry's error codes (MANIFEST_UNKNOWN, DENIED, …).
	Codes []string
	// RetryAfter is what a rate-limited registry asked us to wait, if it said.
	RetryAfter time.Duration
	// CredentialKind and CredentialSource say which credentials were used
	// (see auth.Describe), never what they are.
	CredentialKind, CredentialSource string
	// ChallengeScheme and ChallengeParams are the registry's WWW-Authenticate
	// challenge, when it refused the credentials.
	ChallengeScheme string
	ChallengeParams map[string]string
	Err             error

	// username is the user name sent, kept only so that diagnostics can spot
	// an AWS access key id given as a username; Error() never shows it.
	username string
}

// Username is the user name that was sent, if any. It is not a secret, but
// it is not shown in Error() either: it is for recognising mistakes, such as
// AWS access keys given as registry credentials.
func (e *Error) Username() string { return e.username }

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

// classify wraps err, whatever layer it came from, into an *Error.
func classify(err error, base Error) *Error {
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	e := base
	e.Err = err
	e.Class = classOf(err, &e)
	return &e
}

func classOf(err error, e *Error) Class {
	var ce *classifiedError
	if errors.As(err, &ce) {
		return ce.class
	}
	// Before the network checks: a failure to get credentials arrives wrapped
	// in the *url.Error of the request it was for.
	var cf interface{ CredentialFailure() }
	if errors.As(err, &cf) {
		return ClassCredentials
	}
	// TLS first: go-containerregistry's ping joins the HTTPS failure with
	// the answer of its plain-HTTP fallback, and the TLS failure is the one
	// the user can act on.
	if isTLSError(err) {
		return ClassTLS
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusBadRequest && strings.Contains(terr.Error(), "HTTP request to an HTTPS server") {
		// go-containerregistry tries plain HTTP after HTTPS for loopback and
		// insecure registries; this answer proves the registry speaks HTTPS,
		// so the HTTPS attempt failed in TLS (a handshake the registry broke
		// off, such as for a missing client certificate).
		return ClassTLS
	}
	if errors.As(err, &terr) {
		e.StatusCode = terr.StatusCode
		for _, d := range terr.Errors {
			e.Codes = append(e.Codes, string(d.Code))
		}
		return classOfStatus(terr)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, context.Canceled):
		return ClassNetwork
	}
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &netErr) {
		if netErr != nil && netErr.Timeout() {
			return ClassTimeout
		}
		return ClassNetwork
	}
	// go-containerregistry reports a ping that no scheme answered, and a
	// refused realm, as plain errors.
	msg := err.Error()
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") ||
		strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") {
		return ClassNetwork
	}
	return ClassUnknown
}

func classOfStatus(terr *transport.Error) Class {
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return ClassNotFound
		case transport.UnauthorizedErrorCode:
			if terr.StatusCode == http.StatusForbidden {
				return ClassDenied
			}
			return ClassUnauthorized
		case transport.DeniedErrorCode:
			return ClassDenied
		case transport.TooManyRequestsErrorCode:
			return ClassRateLimited
		}
	}
	switch terr.StatusCode {
	case http.StatusNotFound:
		return ClassNotFound
	case http.StatusUnauthorized:
		return ClassUnauthorized
	case http.StatusForbidden:
		return ClassDenied
	case http.StatusTooManyRequests:
		return ClassRateLimited
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
