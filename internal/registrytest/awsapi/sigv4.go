package awsapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credential is a test AWS secret for one access key id.
type Credential struct {
	// Secret is the secret access key.
	Secret string
	// SessionToken, when set, must accompany every request (temporary keys).
	SessionToken string
	// Expires, when set, is when temporary keys stop working.
	Expires time.Time
}

// authFailure is why a request's signature was refused; each stand-in maps it
// to the error code its AWS service uses.
type authFailure int

const (
	authOK authFailure = iota
	authMissing
	authMalformed
	authUnknownKey
	authBadSignature
	authExpired
)

// signed describes a request whose signature checked out.
type signed struct {
	AccessKeyID string
	Region      string
	Service     string
}

const amzDateFormat = "20060102T150405Z"

// verifySigV4 checks r's SigV4 Authorization header by signing a copy of the
// request with the SDK's signer, from the secret lookup returns for the key
// id, and comparing the two signatures. The copy carries exactly the headers
// the client says it signed, so any change to the method, path, query, a
// signed header or the body, and any wrong secret or session token, makes the
// signatures differ. service is the signing name the API expects.
func verifySigV4(r *http.Request, body []byte, service string, lookup func(string) (Credential, bool), now time.Time) (signed, authFailure, string) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return signed{}, authMissing, "Missing Authentication Token"
	}
	const algorithm = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(authz, algorithm) {
		return signed{}, authMalformed, "Authorization header requires the AWS4-HMAC-SHA256 algorithm"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(authz, algorithm), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return signed{}, authMalformed, "Authorization header requires Credential, SignedHeaders and Signature"
	}
	s := signed{AccessKeyID: scope[0], Region: scope[2], Service: scope[3]}

	cred, ok := lookup(s.AccessKeyID)
	if !ok {
		return s, authUnknownKey, "The security token included in the request is invalid."
	}
	if r.Header.Get("X-Amz-Security-Token") != cred.SessionToken {
		return s, authUnknownKey, "The security token included in the request is invalid."
	}
	if !cred.Expires.IsZero() && !now.Before(cred.Expires) {
		return s, authExpired, "The security token included in the request is expired"
	}
	if s.Service != service {
		return s, authBadSignature, "Credential should be scoped to correct service: '" + service + "'."
	}
	signingTime, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil || signingTime.Format("20060102") != scope[1] {
		return s, authMalformed, "X-Amz-Date is missing or does not match the credential scope date"
	}

	dup, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return s, authMalformed, "cannot rebuild the request"
	}
	dup.Host = r.Host
	for _, name := range strings.Split(fields["SignedHeaders"], ";") {
		switch name {
		case "host":
		case "content-length":
			dup.ContentLength = r.ContentLength
		default:
			dup.Header[textproto.CanonicalMIMEHeaderKey(name)] = r.Header.Values(name)
		}
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	creds := aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: cred.Secret, SessionToken: cred.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, dup, payloadHash, s.Service, s.Region, signingTime); err != nil {
		return s, authMalformed, "cannot recompute the signature"
	}
	want := parseAuthorization(dup.Header.Get("Authorization"))
	if want["SignedHeaders"] != fields["SignedHeaders"] ||
		!hmac.Equal([]byte(want["Signature"]), []byte(fields["Signature"])) {
		return s, authBadSignature, "The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	return s, authOK, ""
}

func parseAuthorization(h string) map[string]string {
	fields := map[string]string{}
	_, rest, _ := strings.Cut(h, " ")
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	return fields
}
