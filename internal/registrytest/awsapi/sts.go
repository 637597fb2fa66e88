package awsapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// STSOptions configures an STS stand-in.
type STSOptions struct {
	// Credentials are the source keys allowed to call AssumeRole.
	Credentials map[string]Credential
	// ECR, if set, accepts the temporary keys AssumeRole issues. Giving the
	// source keys to STS only, and not to ECR, proves a role was assumed.
	ECR *ECR
	// RequireExternalID, if set, is the external id the role's trust policy
	// demands; AssumeRole without it is AccessDenied.
	RequireExternalID string
	// TTL is the lifetime of issued keys; default one hour.
	TTL time.Duration
}

// AssumeRoleCall records one successful AssumeRole.
type AssumeRoleCall struct {
	RoleARN, ExternalID, SessionName string
	// CallerKeyID signed the request; IssuedKeyID is the temporary key returned.
	CallerKeyID, IssuedKeyID string
}

// STS is a stand-in for STS AssumeRole on 127.0.0.1, speaking the AWS query
// protocol (form POST in, XML out) and checking SigV4 like the ECR stand-in.
type STS struct {
	// URL is the endpoint to give the SDK (sts BaseEndpoint, AWS_ENDPOINT_URL_STS).
	URL string

	requireExternalID string
	ttl               time.Duration
	ecr               *ECR

	mu       sync.Mutex
	creds    map[string]Credential
	requests int
	calls    []AssumeRoleCall
}

// NewSTS starts an STS stand-in, closed when the test ends.
func NewSTS(t testing.TB, opts STSOptions) *STS {
	t.Helper()
	s := &STS{requireExternalID: opts.RequireExternalID, ttl: opts.TTL, ecr: opts.ECR, creds: map[string]Credential{}}
	if s.ttl == 0 {
		s.ttl = time.Hour
	}
	for id, c := range opts.Credentials {
		s.creds[id] = c
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Requests is the number of requests received, answered or refused.
func (s *STS) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Calls returns the successful AssumeRole calls, in order.
func (s *STS) Calls() []AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AssumeRoleCall(nil), s.calls...)
}

// Last returns the last successful AssumeRole call (zero if none).
func (s *STS) Last() AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return AssumeRoleCall{}
	}
	return s.calls[len(s.calls)-1]
}

func (s *STS) lookup(id string) (Credential, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.creds[id]
	return c, ok
}

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// ServeHTTP answers AssumeRole.
func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))

	sig, failure, msg := verifySigV4(r, body, "sts", s.lookup, time.Now())
	switch failure {
	case authMissing:
		writeQueryError(w, http.StatusForbidden, "MissingAuthenticationToken", msg)
		return
	case authMalformed:
		writeQueryError(w, http.StatusBadRequest, "IncompleteSignature", msg)
		return
	case authUnknownKey:
		writeQueryError(w, http.StatusForbidden, "InvalidClientTokenId", msg)
		return
	case authBadSignature:
		writeQueryError(w, http.StatusForbidden, "SignatureDoesNotMatch", msg)
		return
	case authExpired:
		writeQueryError(w, http.StatusBadRequest, "ExpiredToken", msg)
		return
	}

	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "AssumeRole" {
		writeQueryError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+form.Get("Action"))
		return
	}
	call := AssumeRoleCall{
		RoleARN:     form.Get("RoleArn"),
		ExternalID:  form.Get("ExternalId"),
		SessionName: form.Get("RoleSessionName"),
		CallerKeyID: sig.AccessKeyID,
	}
	if !roleARNPattern.MatchString(call.RoleARN) {
		writeQueryError(w, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'roleArn' failed to satisfy constraint")
		return
	}
	if !sessionNamePattern.MatchString(call.SessionName) {
		writeQueryError(w, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint")
		return
	}
	if s.requireExternalID != "" && call.ExternalID != s.requireExternalID {
		writeQueryError(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf(
			"User: arn:aws:iam::%s:user/test-%s is not authorized to perform: sts:AssumeRole on resource: %s",
			DefaultAccountID, sig.AccessKeyID, call.RoleARN))
		return
	}

	issued := Credential{
		Secret:       rand.Text() + rand.Text()[:14],
		SessionToken: base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text() + rand.Text())),
		Expires:      time.Now().Add(s.ttl).Truncate(time.Second),
	}
	call.IssuedKeyID = "ASIA" + rand.Text()[:16]
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	if s.ecr != nil {
		s.ecr.AddCredential(call.IssuedKeyID, issued)
	}

	roleName := call.RoleARN[strings.LastIndex(call.RoleARN, "/")+1:]
	out := assumeRoleResponse{
		Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
		Result: assumeRoleResult{
			User: assumedRoleUser{
				AssumedRoleID: "AROA" + rand.Text()[:17] + ":" + call.SessionName,
				Arn:           fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", DefaultAccountID, roleName, call.SessionName),
			},
			Credentials: stsCredentials{
				AccessKeyID:     call.IssuedKeyID,
				SecretAccessKey: issued.Secret,
				SessionToken:    issued.SessionToken,
				Expiration:      issued.Expires.UTC().Format(time.RFC3339),
			},
		},
		RequestID: requestID(),
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(out)
}

type assumeRoleResponse struct {
	XMLName   xml.Name         `xml:"AssumeRoleResponse"`
	Xmlns     string           `xml:"xmlns,attr"`
	Result    assumeRoleResult `xml:"AssumeRoleResult"`
	RequestID string           `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleResult struct {
	User        assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials stsCredentials  `xml:"Credentials"`
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// writeQueryError writes an AWS query-protocol error, which the SDK turns
// into a smithy.APIError with this code and message.
func writeQueryError(w http.ResponseWriter, status int, code, msg string) {
	type errorBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	out := struct {
		XMLName   xml.Name  `xml:"ErrorResponse"`
		Xmlns     string    `xml:"xmlns,attr"`
		Error     errorBody `xml:"Error"`
		RequestID string    `xml:"RequestId"`
	}{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", Error: errorBody{Type: "Sender", Code: code, Message: msg}, RequestID: requestID()}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(out)
}
