package registry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestClassify(t *testing.T) {
	terr := func(status int, codes ...transport.ErrorCode) error {
		e := &transport.Error{StatusCode: status}
		for _, c := range codes {
			e.Errors = append(e.Errors, transport.Diagnostic{Code: c})
		}
		return fmt.Errorf("wrapped: %w", e)
	}
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"manifest unknown", terr(404, transport.ManifestUnknownErrorCode), ClassNotFound},
		{"name unknown", terr(404, transport.NameUnknownErrorCode), ClassNotFound},
		{"bare 404", terr(404), ClassNotFound},
		{"unauthorized", terr(401, transport.UnauthorizedErrorCode), ClassUnauthorized},
		{"bare 401", terr(401), ClassUnauthorized},
		{"403 with UNAUTHORIZED code", terr(403, transport.UnauthorizedErrorCode), ClassDenied},
		{"denied", terr(403, transport.DeniedErrorCode), ClassDenied},
		// The status outranks the body's code (ECR answers a refused
		// password with 401 DENIED; some registries 404 with UNAUTHORIZED).
		{"401 with DENIED code", terr(401, transport.DeniedErrorCode), ClassUnauthorized},
		{"403 with MANIFEST_UNKNOWN code", terr(403, transport.ManifestUnknownErrorCode), ClassDenied},
		{"404 with UNAUTHORIZED code", terr(404, transport.UnauthorizedErrorCode), ClassNotFound},
		{"429 with DENIED code", terr(429, transport.DeniedErrorCode), ClassRateLimited},
		// Codes decide where the status says nothing of its own.
		{"400 with MANIFEST_UNKNOWN code", terr(400, transport.ManifestUnknownErrorCode), ClassNotFound},
		{"400 with DENIED code", terr(400, transport.DeniedErrorCode), ClassDenied},
		{"500 with TOOMANYREQUESTS code", terr(500, transport.TooManyRequestsErrorCode), ClassRateLimited},
		{"too many requests", terr(429, transport.TooManyRequestsErrorCode), ClassRateLimited},
		{"bare 429", terr(429), ClassRateLimited},
		{"5xx", terr(503), ClassNetwork},
		{"odd 4xx", terr(418), ClassMalformed},
		{"TLS unknown authority", &net.OpError{Op: "dial", Err: x509.UnknownAuthorityError{}}, ClassTLS},
		{"TLS joined with a plain-HTTP fallback answer", errors.Join(x509.UnknownAuthorityError{}, terr(400)), ClassTLS},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), ClassTimeout},
		{"plain-HTTP fallback reached an HTTPS server", &transport.Error{StatusCode: 400, Errors: []transport.Diagnostic{{Message: "Client sent an HTTP request to an HTTPS server."}}}, ClassTLS},
		{"remote TLS alert", &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}, ClassTLS},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}, ClassNetwork},
		{"dns", &net.DNSError{Err: "no such host", Name: "x.invalid"}, ClassNetwork},
		{"digest mismatch", &classifiedError{class: ClassDigestMismatch, err: errors.New("x")}, ClassDigestMismatch},
		{"something else", errors.New("odd"), ClassUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify(tt.err, Error{Registry: "r", Repository: "p"})
			if e.Class != tt.want {
				t.Fatalf("classified as %s, want %s", e.Class, tt.want)
			}
			if !errors.Is(e, tt.err) {
				t.Error("the classified error does not wrap the original")
			}
		})
	}
	// The status and registry codes are kept for the diagnostic.
	e := classify(terr(http.StatusNotFound, transport.ManifestUnknownErrorCode), Error{})
	if e.StatusCode != 404 || len(e.Codes) != 1 || e.Codes[0] != "MANIFEST_UNKNOWN" {
		t.Errorf("got status %d codes %v", e.StatusCode, e.Codes)
	}
}

// TestPlainErrors proves each row of plainErrors, the only text matching in
// this package, classifies the text go-containerregistry produces, as it
// arrives: inside a *url.Error where ggcr's transport puts it.
func TestPlainErrors(t *testing.T) {
	texts := map[string]string{
		"invalid realm in www-authenticate":         `invalid realm in www-authenticate: realm host "10.0.0.1" is a private or link-local address`,
		"refusing token-server redirect":            `refusing token-server redirect to "http://x/": realm scheme "http" not allowed`,
		"malformed www-authenticate":                `malformed www-authenticate, missing realm: map[]`,
		noTokenMarker:                               noTokenMarker + ":\n{}",
		"byte limit":                                "body exceeds 1048576 byte limit",
		"HTTP request to an HTTPS server":           "GET http://r/v2/: unexpected status code 400 Bad Request: Client sent an HTTP request to an HTTPS server.",
		"server gave HTTP response to HTTPS client": "http: server gave HTTP response to HTTPS client",
		"connection refused":                        "Get \"https://r/v2/\": dial tcp: connect: connection refused; Get \"http://r/v2/\": connection refused",
		"no such host":                              "lookup r: no such host",
		"connection reset":                          "read: connection reset by peer",
		"EOF":                                       "Get \"https://r/v2/\": EOF",
	}
	if len(texts) != len(plainErrors) {
		t.Fatalf("%d rows in plainErrors, %d tested: give every row a text", len(plainErrors), len(texts))
	}
	for _, row := range plainErrors {
		text, ok := texts[row.text]
		if !ok {
			t.Errorf("row %q has no test text", row.text)
			continue
		}
		err := errors.New(text)
		if row.when == beforeTypes {
			// These arrive inside the request's *url.Error, a net.Error:
			// they must win over the network class.
			err = &url.Error{Op: "Get", URL: "https://r/v2/", Err: err}
		}
		if got := classOf(err); got != row.class {
			t.Errorf("%q classified as %s, want %s", text, got, row.class)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Class: ClassNotFound, Registry: "ghcr.io", Repository: "o/app", Identifier: "v1", Err: errors.New("boom")}
	if got, want := e.Error(), "ghcr.io/o/app:v1: not found: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e.Identifier = "sha256:abc"
	if got, want := e.Error(), "ghcr.io/o/app@sha256:abc: not found: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestClassifyKeepsMessages: the registry's error messages are kept as
// facts, printable and cut short.
func TestClassifyKeepsMessages(t *testing.T) {
	long := strings.Repeat("é", maxMessageLength)
	e := classify(&transport.Error{StatusCode: 403, Errors: []transport.Diagnostic{
		{Code: transport.DeniedErrorCode, Message: "not authorized to perform: ecr:BatchImportUpstreamImage\x1b[2J"},
		{Code: transport.DeniedErrorCode, Message: long},
		{Code: transport.DeniedErrorCode},
	}}, Error{})
	if len(e.Messages) != 2 || e.Messages[0] != "not authorized to perform: ecr:BatchImportUpstreamImage\uFFFD[2J" {
		t.Fatalf("messages %q", e.Messages)
	}
	if len(e.Messages[1]) > maxMessageLength+40 || !strings.Contains(e.Messages[1], "more bytes not shown") {
		t.Errorf("a long message kept as %d bytes: %q", len(e.Messages[1]), e.Messages[1][len(e.Messages[1])-40:])
	}
}
