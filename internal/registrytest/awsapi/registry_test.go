package awsapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// TestRegistryMiddleware proves the middleware lets through exactly the
// unexpired passwords its ECR stand-in issued, strips the Authorization header
// before the inner registry, and otherwise answers ECR's Basic challenge.
func TestRegistryMiddleware(t *testing.T) {
	e := NewECR(t, ECROptions{Credentials: map[string]Credential{testKey: {Secret: testSecret}}})
	const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	var innerSawAuth []string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		innerSawAuth = append(innerSawAuth, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(e.RegistryMiddleware(host)(inner))
	t.Cleanup(srv.Close)

	out, err := ecrClient(e.URL, testKey, testSecret, "", "us-east-1").GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	password := decodePassword(t, aws.ToString(out.AuthorizationData[0].AuthorizationToken))

	get := func(user, pass string, basic bool) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
		if basic {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Errors []struct{ Code string } `json:"errors"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		code := ""
		if len(body.Errors) > 0 {
			code = body.Errors[0].Code
		}
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), code
	}
	const challenge = `Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"`

	for _, tt := range []struct {
		name, user, pass string
		basic            bool
		code             string
	}{
		{"no credentials", "", "", false, "UNAUTHORIZED"},
		{"AWS keys as username and password", testKey, testSecret, true, "UNAUTHORIZED"},
		{"valid password, wrong username", "admin", password, true, "UNAUTHORIZED"},
		{"unknown password", "AWS", "not-issued", true, "UNAUTHORIZED"},
	} {
		status, wwwAuth, code := get(tt.user, tt.pass, tt.basic)
		if status != http.StatusUnauthorized || wwwAuth != challenge || code != tt.code {
			t.Errorf("%s: got %d %q %s, want 401 %q %s", tt.name, status, wwwAuth, code, challenge, tt.code)
		}
	}
	if len(innerSawAuth) != 0 {
		t.Fatalf("refused requests reached the inner handler")
	}

	if status, _, _ := get("AWS", password, true); status != http.StatusOK {
		t.Fatalf("issued password: status %d, want 200", status)
	}
	if len(innerSawAuth) != 1 || innerSawAuth[0] != "" {
		t.Errorf("inner handler saw Authorization %q, want it removed", innerSawAuth)
	}

	e.ExpireAll()
	if status, wwwAuth, code := get("AWS", password, true); status != http.StatusUnauthorized || wwwAuth != challenge || code != "DENIED" {
		t.Errorf("expired password: got %d %q %s, want 401 with the challenge and DENIED", status, wwwAuth, code)
	}
}
