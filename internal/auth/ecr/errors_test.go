package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// assertNoSecrets fails if any rendering of err contains one of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)} {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("error text contains a secret (%.4s…): %s", s, text)
			}
		}
	}
}

// TestErrors proves every failure path yields an *Error that names the
// operation, region, registry id and code (what to fix is the provider's to
// say, from those), and contains
// neither the secret key, the session token nor any ECR password.
func TestErrors(t *testing.T) {
	const (
		tempKey, tempToken = "ASIATEMPORARYKEY0000", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
		deniedKey          = "AKIADENIEDKEY0000000"
		role               = "arn:aws:iam::123456789012:role/ecr-pull"
	)
	tests := []struct {
		name    string
		setup   func(t *testing.T, e *awsapi.ECR, credentialsFile string) Config
		host    string
		op      string
		code    string
		mention []string
		secrets []string
	}{
		{
			name: "wrong secret",
			setup: func(*testing.T, *awsapi.ECR, string) Config {
				return Config{AccessKey: testKey, SecretKey: "wrong-" + testSecret}
			},
			op:      "GetAuthorizationToken",
			code:    "InvalidSignatureException",
			mention: []string{"GetAuthorizationToken", "us-east-1", "123456789012", "InvalidSignatureException"},
			secrets: []string{"wrong-" + testSecret},
		},
		{
			name: "wrong secret from the environment",
			setup: func(t *testing.T, _ *awsapi.ECR, _ string) Config {
				t.Setenv("AWS_ACCESS_KEY_ID", testKey)
				t.Setenv("AWS_SECRET_ACCESS_KEY", "env-wrong-secret")
				return Config{}
			},
			op:      "GetAuthorizationToken",
			code:    "InvalidSignatureException",
			mention: []string{"InvalidSignatureException"},
			secrets: []string{"env-wrong-secret"},
		},
		{
			name: "access denied",
			setup: func(_ *testing.T, e *awsapi.ECR, _ string) Config {
				e.AddCredential(deniedKey, awsapi.Credential{Secret: testSecret})
				e.SetDenied(deniedKey, true)
				return Config{AccessKey: deniedKey, SecretKey: testSecret}
			},
			op:      "GetAuthorizationToken",
			code:    "AccessDeniedException",
			mention: []string{"AccessDeniedException", "123456789012", "us-east-1", "ecr:GetAuthorizationToken"},
			secrets: []string{testSecret},
		},
		{
			name: "unknown access key",
			setup: func(*testing.T, *awsapi.ECR, string) Config {
				return Config{AccessKey: "AKIAUNKNOWNKEY000000", SecretKey: testSecret}
			},
			op:      "GetAuthorizationToken",
			code:    "UnrecognizedClientException",
			mention: []string{"UnrecognizedClientException"},
			secrets: []string{testSecret},
		},
		{
			name: "expired session token",
			setup: func(_ *testing.T, e *awsapi.ECR, _ string) Config {
				e.AddCredential(tempKey, awsapi.Credential{Secret: testSecret, SessionToken: tempToken, Expires: time.Now().Add(-time.Minute)})
				return Config{AccessKey: tempKey, SecretKey: testSecret, SessionToken: tempToken}
			},
			op:      "GetAuthorizationToken",
			code:    "ExpiredTokenException",
			mention: []string{"ExpiredTokenException", "expired"},
			secrets: []string{testSecret, tempToken},
		},
		{
			name:    "no credentials at all",
			setup:   func(*testing.T, *awsapi.ECR, string) Config { return Config{} },
			code:    CodeNoCredentials,
			mention: []string{"NoCredentials", "123456789012", "us-east-1", "no AWS credentials were found", "EC2 instance metadata service"},
		},
		{
			name: "profile that does not exist",
			setup: func(t *testing.T, _ *awsapi.ECR, credentialsFile string) Config {
				creds := "[other]\naws_access_key_id = " + testKey + "\naws_secret_access_key = " + testSecret + "\n"
				if err := os.WriteFile(credentialsFile, []byte(creds), 0o600); err != nil {
					t.Fatal(err)
				}
				return Config{Profile: "nope"}
			},
			code:    CodeInvalidConfig,
			mention: []string{`"nope"`, "profile"},
			secrets: []string{testSecret},
		},
		{
			name: "assume role refused",
			setup: func(t *testing.T, e *awsapi.ECR, _ string) Config {
				st := awsapi.NewSTS(t, awsapi.STSOptions{
					Credentials: map[string]awsapi.Credential{testKey: {Secret: testSecret}}, ECR: e, RequireExternalID: "right",
				})
				return Config{AccessKey: testKey, SecretKey: testSecret, RoleARN: role, ExternalID: "wrong", STSEndpoint: st.URL}
			},
			op:      "AssumeRole",
			code:    "AccessDenied",
			mention: []string{"AssumeRole of " + role + " failed", "AccessDenied"},
			secrets: []string{testSecret},
		},
		{
			name: "ECR Public denied",
			setup: func(_ *testing.T, e *awsapi.ECR, _ string) Config {
				e.SetDenied(testKey, true)
				return Config{AccessKey: testKey, SecretKey: testSecret}
			},
			host:    PublicHost,
			op:      "GetAuthorizationToken",
			code:    "AccessDeniedException",
			mention: []string{PublicHost, "AccessDeniedException"},
			secrets: []string{testSecret},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, credentialsFile := isolateAWS(t)
			e, _ := standIn(t)
			t.Setenv("AWS_ENDPOINT_URL_ECR", e.URL)
			t.Setenv("AWS_ENDPOINT_URL_ECR_PUBLIC", e.URL)
			host := tt.host
			if host == "" {
				host = testHost
			}
			cfg := tt.setup(t, e, credentialsFile)
			s := mustSource(t, cfg, host)

			_, err := s.Authorization(context.Background())
			var ecrErr *Error
			if !errors.As(err, &ecrErr) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if ecrErr.Code != tt.code || ecrErr.Op != tt.op || ecrErr.Region != s.Region() || ecrErr.RegistryID != s.RegistryID() {
				t.Errorf("got Op %q Code %q Region %q RegistryID %q; want %q %q %q %q",
					ecrErr.Op, ecrErr.Code, ecrErr.Region, ecrErr.RegistryID, tt.op, tt.code, s.Region(), s.RegistryID())
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error does not mention %q:\n%s", m, err)
				}
			}
			assertNoSecrets(t, err, append(tt.secrets, e.Passwords()...)...)
			if tt.code == CodeNoCredentials || tt.code == CodeInvalidConfig {
				if e.Calls() != 0 {
					t.Errorf("ECR was called %d times without credentials", e.Calls())
				}
			}
		})
	}
}

// TestClassifyRedacts proves secrets are removed even when AWS (or anything
// in between) repeats them in a message: configured keys, session tokens,
// retrieved credentials and issued passwords.
func TestClassifyRedacts(t *testing.T) {
	isolateAWS(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, SessionToken: "session-tok"}, testHost)
	s.mu.Lock()
	s.remember("issued-password")
	s.remember("retrieved-secret")
	s.mu.Unlock()
	secrets := []string{testSecret, "session-tok", "issued-password", "retrieved-secret"}
	msg := "echo: " + strings.Join(secrets, " ")
	for _, err := range []error{
		&smithy.OperationError{ServiceID: "ECR", OperationName: "GetAuthorizationToken",
			Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: msg}},
		&smithy.OperationError{ServiceID: "ECR", OperationName: "GetAuthorizationToken", Err: errors.New(msg)},
		&credentialsError{errors.New(msg)},
		&configLoadError{errors.New(msg)},
	} {
		got := classify(err, Error{Host: testHost}, s.redact())
		if !strings.Contains(got.Error(), "[redacted]") {
			t.Errorf("classify(%T) = %q, want the secrets replaced by [redacted]", err, got)
		}
		assertNoSecrets(t, got, secrets...)
	}
}

// TestDecodeToken proves tokens are split into user and password, and that a
// malformed token's error never quotes it.
func TestDecodeToken(t *testing.T) {
	user, pw, err := decodeToken(base64.StdEncoding.EncodeToString([]byte("AWS:p:w")))
	if err != nil || user != "AWS" || pw != "p:w" {
		t.Errorf("decodeToken = %q, %q, %v; want AWS, p:w", user, pw, err)
	}
	for _, bad := range []string{"AWS:not-base64-secretpw", base64.StdEncoding.EncodeToString([]byte("no-colon-secretpw")),
		base64.StdEncoding.EncodeToString([]byte("AWS:"))} {
		if _, _, err := decodeToken(bad); err == nil || strings.Contains(err.Error(), "secretpw") {
			t.Errorf("decodeToken(%q) error = %v, want an error without the token", bad, err)
		}
	}
}
