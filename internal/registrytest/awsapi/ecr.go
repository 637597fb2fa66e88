package awsapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// X-Amz-Target values of the two GetAuthorizationToken operations, as the
// SDK's serializers send them.
const (
	TargetECR       = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
	TargetECRPublic = "SpencerFrontendService.GetAuthorizationToken"
)

// DefaultAccountID is the account that owns the stand-in's registries when
// ECROptions.AccountID is empty.
const DefaultAccountID = "123456789012"

// ECROptions configures an ECR stand-in.
type ECROptions struct {
	// Credentials are the access keys the stand-in knows, by access key id.
	// Requests signed with any other key id get UnrecognizedClientException.
	Credentials map[string]Credential
	// Denied lists known key ids that lack ecr:GetAuthorizationToken: they
	// get AccessDeniedException.
	Denied map[string]bool
	// AccountID is the caller's account, used when a request names no
	// registry id; default DefaultAccountID.
	AccountID string
	// TTL is the lifetime of issued passwords; default 12 hours, as in AWS.
	TTL time.Duration
	// OnCall, if set, runs for each GetAuthorizationToken that passed
	// verification, before it is answered. It may block, to hold answers
	// back while a test lines up concurrent callers.
	OnCall func()
}

// Request records one request the ECR stand-in received.
type Request struct {
	// Target is the X-Amz-Target header.
	Target string
	// AccessKeyID, Region and Service come from the signature's credential
	// scope ("" when there was no signature).
	AccessKeyID, Region, Service string
	// RegistryIDs is the registryIds of an ECR request.
	RegistryIDs []string
	// Status is the HTTP status answered; ErrorCode the AWS error code, if any.
	Status    int
	ErrorCode string
}

// ECR is a stand-in for the ECR and ECR Public GetAuthorizationToken API on
// 127.0.0.1, speaking AWS JSON 1.1. It issues a fresh random password per
// call and remembers it, so that RegistryMiddleware can accept exactly the
// passwords it issued, until they expire.
type ECR struct {
	// URL is the endpoint to give the SDK (BaseEndpoint, AWS_ENDPOINT_URL_ECR).
	URL string

	onCall  func()
	account string

	mu        sync.Mutex
	creds     map[string]Credential
	denied    map[string]bool
	ttl       time.Duration
	issued    map[string]time.Time // password -> expiry
	passwords []string
	requests  []Request
}

// NewECR starts an ECR stand-in, closed when the test ends.
func NewECR(t testing.TB, opts ECROptions) *ECR {
	t.Helper()
	e := &ECR{
		onCall:  opts.OnCall,
		account: opts.AccountID,
		creds:   map[string]Credential{},
		denied:  map[string]bool{},
		ttl:     opts.TTL,
		issued:  map[string]time.Time{},
	}
	if e.account == "" {
		e.account = DefaultAccountID
	}
	if e.ttl == 0 {
		e.ttl = 12 * time.Hour
	}
	for id, c := range opts.Credentials {
		e.creds[id] = c
	}
	for id, d := range opts.Denied {
		e.denied[id] = d
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// AddCredential makes an access key known (or replaces its secret); the STS
// stand-in registers the temporary keys it issues this way.
func (e *ECR) AddCredential(accessKeyID string, c Credential) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.creds[accessKeyID] = c
}

// SetDenied sets whether a key id is refused with AccessDeniedException.
func (e *ECR) SetDenied(accessKeyID string, denied bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.denied[accessKeyID] = denied
}

// SetTTL sets the lifetime of passwords issued from now on.
func (e *ECR) SetTTL(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ttl = d
}

// Calls is the number of requests received, answered or refused.
func (e *ECR) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.requests)
}

// Requests returns every request received, in order.
func (e *ECR) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

// Passwords returns every password issued, in order.
func (e *ECR) Passwords() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.passwords...)
}

// Valid reports whether password was issued by this stand-in and has not
// expired.
func (e *ECR) Valid(password string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	exp, ok := e.issued[password]
	return ok && time.Now().Before(exp)
}

// Issued reports whether password was issued by this stand-in, expired or
// not: what a registry needs to tell an expired password from a wrong one.
func (e *ECR) Issued(password string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.issued[password]
	return ok
}

// ExpireAll expires every password issued so far; later ones are unaffected.
func (e *ECR) ExpireAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	for p := range e.issued {
		e.issued[p] = now
	}
}

func (e *ECR) lookup(id string) (Credential, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.creds[id]
	return c, ok
}

var registryIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// ServeHTTP answers GetAuthorizationToken for ECR and ECR Public.
func (e *ECR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Target: r.Header.Get("X-Amz-Target")}
	fail := func(status int, code, msg string) {
		req.Status, req.ErrorCode = status, code
		e.record(req)
		writeJSONError(w, status, code, msg)
	}

	var service, action string
	switch req.Target {
	case TargetECR:
		service, action = "ecr", "ecr:GetAuthorizationToken"
	case TargetECRPublic:
		service, action = "ecr-public", "ecr-public:GetAuthorizationToken"
	default:
		fail(http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") {
		fail(http.StatusBadRequest, "SerializationException", "expected a POST of application/x-amz-json-1.1")
		return
	}

	sig, failure, msg := verifySigV4(r, body, service, e.lookup, time.Now())
	req.AccessKeyID, req.Region, req.Service = sig.AccessKeyID, sig.Region, sig.Service
	switch failure {
	case authMissing:
		fail(http.StatusForbidden, "MissingAuthenticationTokenException", msg)
		return
	case authMalformed:
		fail(http.StatusBadRequest, "IncompleteSignatureException", msg)
		return
	case authUnknownKey:
		fail(http.StatusBadRequest, "UnrecognizedClientException", msg)
		return
	case authBadSignature:
		fail(http.StatusForbidden, "InvalidSignatureException", msg)
		return
	case authExpired:
		fail(http.StatusBadRequest, "ExpiredTokenException", msg)
		return
	}

	e.mu.Lock()
	denied := e.denied[sig.AccessKeyID]
	e.mu.Unlock()
	if denied {
		fail(http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
			"User: arn:aws:iam::%s:user/test-%s is not authorized to perform: %s on resource: * "+
				"because no identity-based policy allows the %s action", e.account, sig.AccessKeyID, action, action))
		return
	}

	var in struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			fail(http.StatusBadRequest, "SerializationException", "the request body is not valid JSON")
			return
		}
	}
	for _, id := range in.RegistryIDs {
		if !registryIDPattern.MatchString(id) {
			fail(http.StatusBadRequest, "InvalidParameterException", "Invalid parameter at 'registryIds' failed to satisfy constraint")
			return
		}
	}
	req.RegistryIDs = in.RegistryIDs

	if e.onCall != nil {
		e.onCall()
	}

	password := rand.Text() + rand.Text() + rand.Text()
	e.mu.Lock()
	exp := time.Now().Add(e.ttl)
	e.issued[password] = exp
	e.passwords = append(e.passwords, password)
	e.mu.Unlock()
	req.Status = http.StatusOK
	e.record(req)

	type authData struct {
		AuthorizationToken string  `json:"authorizationToken"`
		ExpiresAt          float64 `json:"expiresAt"`
		ProxyEndpoint      string  `json:"proxyEndpoint,omitempty"`
	}
	tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
	expSeconds := float64(exp.UnixMilli()) / 1000
	var out any
	if service == "ecr-public" {
		out = map[string]any{"authorizationData": authData{AuthorizationToken: tok, ExpiresAt: expSeconds}}
	} else {
		ids := in.RegistryIDs
		if len(ids) == 0 {
			ids = []string{e.account}
		}
		var data []authData
		for _, id := range ids {
			data = append(data, authData{AuthorizationToken: tok, ExpiresAt: expSeconds,
				ProxyEndpoint: "https://" + registryHost(id, sig.Region)})
		}
		out = map[string]any{"authorizationData": data}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
	_ = json.NewEncoder(w).Encode(out)
}

// registryHost is the ECR registry host of account id in region, as AWS
// names it in proxyEndpoint.
func registryHost(id, region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return id + ".dkr.ecr." + region + "." + suffix
}

func (e *ECR) record(r Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, r)
}

// writeJSONError writes an AWS JSON 1.1 error, which the SDK turns into a
// smithy.APIError with this code and message.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func requestID() string {
	t := strings.ToLower(rand.Text())
	return t[:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:26]
}
