package awsapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func stsClient(url, key, secret string) *sts.Client {
	return sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
	})
}

// TestSTSAssumeRole proves AssumeRole through the SDK returns temporary keys
// that the linked ECR stand-in (which does not know the source key) accepts,
// and that the call's parameters are recorded.
func TestSTSAssumeRole(t *testing.T) {
	e := NewECR(t, ECROptions{})
	s := NewSTS(t, STSOptions{Credentials: map[string]Credential{testKey: {Secret: testSecret}}, ECR: e, RequireExternalID: "ext-1"})

	const role = "arn:aws:iam::210987654321:role/puller"
	out, err := stsClient(s.URL, testKey, testSecret).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("test-session"), ExternalId: aws.String("ext-1"),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if c == nil || !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" || c.Expiration == nil {
		t.Fatalf("credentials = %+v, want temporary keys", c)
	}
	want := AssumeRoleCall{RoleARN: role, ExternalID: "ext-1", SessionName: "test-session", CallerKeyID: testKey, IssuedKeyID: aws.ToString(c.AccessKeyId)}
	if got := s.Last(); got != want {
		t.Errorf("Last() = %+v, want %+v", got, want)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::123456789012:assumed-role/puller/test-session" {
		t.Errorf("assumed role ARN = %q", got)
	}

	// The issued keys work on ECR; the source key does not.
	ok := ecr.New(ecr.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))})
	if _, err := ok.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{}); err != nil {
		t.Errorf("ECR refused the assumed-role keys: %v", err)
	}
	_, err = ecrClient(e.URL, testKey, testSecret, "", "us-east-1").GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if code := apiCode(err); code != "UnrecognizedClientException" {
		t.Errorf("ECR with the source key: %v, want UnrecognizedClientException", err)
	}
}

// TestSTSRefusals proves the STS stand-in refuses a missing or wrong external
// id and bad keys with STS's own error codes.
func TestSTSRefusals(t *testing.T) {
	s := NewSTS(t, STSOptions{Credentials: map[string]Credential{testKey: {Secret: testSecret}}, RequireExternalID: "ext-1"})
	tests := []struct {
		name, key, secret, externalID, code string
	}{
		{"no external id", testKey, testSecret, "", "AccessDenied"},
		{"wrong external id", testKey, testSecret, "ext-2", "AccessDenied"},
		{"unknown key", "AKIAUNKNOWNEXAMPLE00", testSecret, "ext-1", "InvalidClientTokenId"},
		{"wrong secret", testKey, "x" + testSecret, "ext-1", "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::210987654321:role/puller"), RoleSessionName: aws.String("s1")}
			if tt.externalID != "" {
				in.ExternalId = aws.String(tt.externalID)
			}
			_, err := stsClient(s.URL, tt.key, tt.secret).AssumeRole(context.Background(), in)
			if code := apiCode(err); code != tt.code {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
		})
	}
	if len(s.Calls()) != 0 {
		t.Errorf("refused calls were recorded as successful: %+v", s.Calls())
	}
	if s.Requests() != len(tests) {
		t.Errorf("Requests() = %d, want %d", s.Requests(), len(tests))
	}
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
