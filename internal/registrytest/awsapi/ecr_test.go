package awsapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/smithy-go"
)

const (
	testKey    = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func ecrClient(url, key, secret, token, region string) *ecr.Client {
	return ecr.New(ecr.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, token),
		RetryMaxAttempts: 1,
	})
}

func decodePassword(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("token is not base64: %v", err)
	}
	user, pw, ok := strings.Cut(string(raw), ":")
	if !ok || user != "AWS" || pw == "" {
		t.Fatalf("token decodes to %q, want AWS:<password>", raw)
	}
	return pw
}

// TestECRIssuesPasswords proves a correctly signed SDK call gets a fresh,
// valid password for the requested registry, and that each call's is new.
func TestECRIssuesPasswords(t *testing.T) {
	e := NewECR(t, ECROptions{Credentials: map[string]Credential{testKey: {Secret: testSecret}}})
	c := ecrClient(e.URL, testKey, testSecret, "", "eu-west-1")

	var got []string
	for range 2 {
		// registryIds is deprecated, but AWS (and so the stand-in) still honours it.
		in := &ecr.GetAuthorizationTokenInput{RegistryIds: []string{"210987654321"}} //nolint:staticcheck // see above
		out, err := c.GetAuthorizationToken(context.Background(), in)
		if err != nil {
			t.Fatalf("GetAuthorizationToken: %v", err)
		}
		if len(out.AuthorizationData) != 1 {
			t.Fatalf("got %d authorization data, want 1", len(out.AuthorizationData))
		}
		d := out.AuthorizationData[0]
		if want := "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com"; aws.ToString(d.ProxyEndpoint) != want {
			t.Errorf("proxyEndpoint = %q, want %q", aws.ToString(d.ProxyEndpoint), want)
		}
		if d.ExpiresAt == nil || d.ExpiresAt.Before(time.Now().Add(11*time.Hour)) {
			t.Errorf("expiresAt = %v, want about 12 hours from now", d.ExpiresAt)
		}
		pw := decodePassword(t, aws.ToString(d.AuthorizationToken))
		if !e.Valid(pw) {
			t.Errorf("issued password is not Valid")
		}
		got = append(got, pw)
	}
	if got[0] == got[1] {
		t.Errorf("two calls returned the same password")
	}
	if p := e.Passwords(); len(p) != 2 || p[0] != got[0] || p[1] != got[1] {
		t.Errorf("Passwords() = %v, want %v", p, got)
	}
	if e.Calls() != 2 {
		t.Errorf("Calls() = %d, want 2", e.Calls())
	}
	r := e.Requests()[0]
	if r.AccessKeyID != testKey || r.Region != "eu-west-1" || r.Service != "ecr" || r.Status != 200 ||
		len(r.RegistryIDs) != 1 || r.RegistryIDs[0] != "210987654321" {
		t.Errorf("Requests()[0] = %+v", r)
	}
	if e.Valid("not-issued") {
		t.Errorf("Valid accepted a password never issued")
	}
	e.ExpireAll()
	if e.Valid(got[0]) || e.Valid(got[1]) {
		t.Errorf("passwords still Valid after ExpireAll")
	}
	e.SetTTL(time.Hour)
	out, err := c.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	d := out.AuthorizationData[0]
	if !e.Valid(decodePassword(t, aws.ToString(d.AuthorizationToken))) {
		t.Errorf("password issued after ExpireAll is not Valid")
	}
	if d.ExpiresAt.After(time.Now().Add(time.Hour)) || d.ExpiresAt.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("after SetTTL(1h), expiresAt = %v", d.ExpiresAt)
	}
	if want := "https://" + DefaultAccountID + ".dkr.ecr.eu-west-1.amazonaws.com"; aws.ToString(d.ProxyEndpoint) != want {
		t.Errorf("without registryIds, proxyEndpoint = %q, want %q", aws.ToString(d.ProxyEndpoint), want)
	}
}

// TestECRRefusals proves each kind of bad credential gets the AWS error code
// the SDK will surface, and that no password is issued for any of them.
func TestECRRefusals(t *testing.T) {
	const tempKey, tempToken = "ASIAIOSFODNN7EXAMPLE", "FwoGZXIvYXdzEXAMPLETOKEN"
	e := NewECR(t, ECROptions{
		Credentials: map[string]Credential{
			testKey:                {Secret: testSecret},
			"AKIADENIEDEXAMPLE000": {Secret: testSecret},
			tempKey:                {Secret: testSecret, SessionToken: tempToken},
			"ASIAEXPIREDEXAMPLE00": {Secret: testSecret, SessionToken: tempToken, Expires: time.Now().Add(-time.Minute)},
		},
		Denied: map[string]bool{"AKIADENIEDEXAMPLE000": true},
	})
	tests := []struct {
		name, key, secret, token string
		code, msgHas             string
	}{
		{"unknown key", "AKIAUNKNOWNEXAMPLE00", testSecret, "", "UnrecognizedClientException", "security token"},
		{"wrong secret", testKey, "wrong" + testSecret, "", "InvalidSignatureException", "signature"},
		{"denied", "AKIADENIEDEXAMPLE000", testSecret, "", "AccessDeniedException", "ecr:GetAuthorizationToken"},
		{"missing session token", tempKey, testSecret, "", "UnrecognizedClientException", "security token"},
		{"wrong session token", tempKey, testSecret, "other", "UnrecognizedClientException", "security token"},
		{"unexpected session token", testKey, testSecret, tempToken, "UnrecognizedClientException", "security token"},
		{"expired session token", "ASIAEXPIREDEXAMPLE00", testSecret, tempToken, "ExpiredTokenException", "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ecrClient(e.URL, tt.key, tt.secret, tt.token, "us-east-1").
				GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want a smithy.APIError", err)
			}
			if apiErr.ErrorCode() != tt.code || !strings.Contains(apiErr.ErrorMessage(), tt.msgHas) {
				t.Errorf("got %s: %q, want %s mentioning %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tt.code, tt.msgHas)
			}
		})
	}
	if p := e.Passwords(); len(p) != 0 {
		t.Errorf("refused requests were issued %d passwords", len(p))
	}
	if e.Calls() != len(tests) {
		t.Errorf("Calls() = %d, want %d", e.Calls(), len(tests))
	}
}

// TestECRSignatureCoversRequest proves the verifier recomputes the signature
// over the whole request: the same signed request passes as sent and fails
// once its body or a signed header is changed after signing, and a request
// without a signature is refused.
func TestECRSignatureCoversRequest(t *testing.T) {
	e := NewECR(t, ECROptions{Credentials: map[string]Credential{testKey: {Secret: testSecret}}})
	signed := func(body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", TargetECR)
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
			req, hex.EncodeToString(sum[:]), "ecr", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	do := func(req *http.Request) (int, string, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Type string `json:"__type"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body.Type
	}

	if status, _, _ := do(signed(`{}`)); status != http.StatusOK {
		t.Fatalf("untampered request: status %d, want 200", status)
	}

	req := signed(`{}`)
	req.Body = io.NopCloser(strings.NewReader(`{"registryIds":["999999999999"]}`))
	req.ContentLength = int64(len(`{"registryIds":["999999999999"]}`))
	if status, header, typ := do(req); status != http.StatusForbidden || header != "InvalidSignatureException" || typ != "InvalidSignatureException" {
		t.Errorf("changed body: got %d %q %q, want 403 InvalidSignatureException in header and body", status, header, typ)
	}

	req = signed(`{}`)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1; charset=utf-8")
	if status, _, typ := do(req); status != http.StatusForbidden || typ != "InvalidSignatureException" {
		t.Errorf("changed signed header: got %d %q, want 403 InvalidSignatureException", status, typ)
	}

	req = signed(`{}`)
	req.Header.Del("Authorization")
	if status, _, typ := do(req); status != http.StatusForbidden || typ != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: got %d %q, want 403 MissingAuthenticationTokenException", status, typ)
	}
}

// TestECRPublic proves the stand-in speaks ECR Public's target, expects its
// signing name, and returns its single authorizationData object.
func TestECRPublic(t *testing.T) {
	e := NewECR(t, ECROptions{Credentials: map[string]Credential{testKey: {Secret: testSecret}}})
	c := ecrpublic.New(ecrpublic.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		RetryMaxAttempts: 1,
	})
	out, err := c.GetAuthorizationToken(context.Background(), &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	if out.AuthorizationData == nil {
		t.Fatal("no authorizationData")
	}
	if !e.Valid(decodePassword(t, aws.ToString(out.AuthorizationData.AuthorizationToken))) {
		t.Error("ECR Public password is not Valid")
	}
	if r := e.Requests()[0]; r.Target != TargetECRPublic || r.Service != "ecr-public" {
		t.Errorf("request = %+v, want ECR Public target and signing name", r)
	}

	// An ECR Public request signed for the "ecr" service is refused.
	req := signedRawRequest(t, e.URL, TargetECRPublic, "ecr")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("wrong signing name: %d %q, want 403 InvalidSignatureException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

func signedRawRequest(t *testing.T, url, target, service string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256([]byte(`{}`))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}
