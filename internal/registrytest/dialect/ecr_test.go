package dialect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// TestECR proves the ECR front with passwords from the awsapi stand-in:
// Basic challenges, DENIED bodies, expiry, NAME_UNKNOWN, its paging limits
// and opaque cursors, and the S3 redirect.
func TestECR(t *testing.T) {
	const key, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	api := awsapi.NewECR(t, awsapi.ECROptions{Credentials: map[string]awsapi.Credential{key: {Secret: secret}}})
	out, err := ecr.New(ecr.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(api.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
	}).GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	_, pw, _ := strings.Cut(string(raw), ":")

	e := newEnv(t, ECR(), Options{Check: ECRPasswords(api)})
	commonClientChecks(t, e, "AWS", pw, true)
	challenge := `Basic realm="https://` + e.f.Host + `/",service="ecr.amazonaws.com"`
	notAuthorized := `{"errors":[{"code":"DENIED","message":"Not Authorized"}]}`
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"WWW-Authenticate": challenge, "Content-Type": "text/plain"}, []string{"Not Authorized\n"}}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""), want{401, map[string]string{"WWW-Authenticate": challenge}, []string{notAuthorized}}},
		{"wrong password", get(http.MethodGet, manifestPriv, "AWS", wrongPW), want{401, map[string]string{"WWW-Authenticate": challenge}, []string{notAuthorized}}},
		{"AWS keys as username and password", get(http.MethodGet, manifestPriv, key, secret), want{401, nil, []string{notAuthorized}}},
		{"missing repository", get(http.MethodGet, missingRepo, "AWS", pw),
			want{404, nil, []string{`"NAME_UNKNOWN","message":"The repository with name 'no/such' does not exist in the registry with id '123456789012'"`}}},
		{"missing tag", get(http.MethodGet, missingTag, "AWS", pw), want{404, nil, []string{`"MANIFEST_UNKNOWN","message":"Requested image not found"`}}},
		{"n over 1000", get(http.MethodGet, manyTags+"?n=1001", "AWS", pw), want{400, nil, []string{"'maxResults' failed to satisfy constraint"}}},
		{"a last ECR did not issue", get(http.MethodGet, manyTags+"?last=t05", "AWS", pw), want{400, nil, []string{"UNSUPPORTED"}}},
		{"tags page", get(http.MethodGet, manyTags+"?n=10", "AWS", pw),
			want{200, map[string]string{"Content-Type": "text/plain; charset=utf-8", "Link": `<http://` + e.f.Host + `/v2/pub/many/tags/list?last=`}, []string{"{\n    \"name\""}}},
		{"config blob", get(http.MethodGet, e.pubConfig(), "AWS", pw), want{307, map[string]string{"Location": "X-Amz-Algorithm=AWS4-HMAC-SHA256"}, nil}},
		{"S3 refuses the ECR password too", follow(http.MethodGet, "Authorization", basicHeader("AWS", pw)), want{400, nil, []string{"Only one auth mechanism allowed"}}},
	})

	var page struct{ Tags []string }
	if err := json.Unmarshal([]byte(e.get(http.MethodGet, manyTags, "AWS", pw).body), &page); err != nil || len(page.Tags) != 25 || slices.IsSorted(page.Tags) {
		t.Errorf("ECR tags %q (%v): want all 25, not in lexical order", page.Tags, err)
	}

	e.f.MisbehaveHEAD()
	runChecks(t, e, []check{
		{"HEAD without digest", get(http.MethodHead, manifestPub, "AWS", pw), want{200, map[string]string{"Docker-Content-Digest": ""}, nil}},
		{"GET without digest", get(http.MethodGet, manifestPub, "AWS", pw), want{200, map[string]string{"Docker-Content-Digest": ""}, nil}},
		{"an expired password", func(e *env) resp { api.ExpireAll(); return e.get(http.MethodGet, manifestPriv, "AWS", pw) },
			want{403, map[string]string{"WWW-Authenticate": ""}, []string{`{"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]}`}}},
	})
}

// TestECRPublic proves the ECR Public front: DENIED "Not Authorized"
// challenges and the 400 for an invalid token or Basic credentials.
func TestECRPublic(t *testing.T) {
	e := newEnv(t, ECRPublic(), Options{Users: map[string]string{"AWS": alicePW}})
	commonClientChecks(t, e, "AWS", alicePW, true)
	invalid := `{"errors":[{"code":"DENIED","message":"Your Authorization Token is invalid."}]}`
	runChecks(t, e, []check{
		{"ping", ping, want{401, map[string]string{"Content-Length": "58", "WWW-Authenticate": `/token/",service="public.ecr.aws",scope="aws"`, "Content-Type": jsonUTF8},
			[]string{`{"errors":[{"code":"DENIED","message":"Not Authorized"}]}`}}},
		{"no credentials on a private repository", get(http.MethodGet, manifestPriv, "", ""), want{401, nil, []string{"Not Authorized"}}},
		{"an invalid token", get(http.MethodGet, manifestPub, "", "", "Authorization", "Bearer abc"), want{400, map[string]string{"Content-Length": "80", "WWW-Authenticate": ""}, []string{invalid}}},
		{"Basic credentials on the registry", get(http.MethodGet, manifestPub, "", "", "Authorization", basicHeader("AWS", alicePW)), want{400, nil, []string{invalid}}},
		{"an expired token", func(e *env) resp {
			auth := e.auth("pub/app", "", "")
			e.f.ExpireTokens()
			return e.do(http.MethodGet, e.url(manifestPub), nil, auth...)
		}, want{400, nil, []string{invalid}}},
		{"missing repository", get(http.MethodGet, missingRepo, "AWS", alicePW),
			want{404, nil, []string{"The repository with name 'such' does not exist in the registry with id 'no'"}}},
	})
}
