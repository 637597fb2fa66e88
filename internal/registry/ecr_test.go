package registry

import (
	"context"
	"sync"
	"testing"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// TestECRPasswordRefresh: a password the registry stops accepting before it
// says it expires is refreshed once, for all concurrent readers, and the
// reads succeed; one refresh, not one per read.
func TestECRPasswordRefresh(t *testing.T) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_ECR"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	const keyID, secret = "AKIAIMAGEINFOTESTKEY", "refresh-test-secret"
	api := awsapi.NewECR(t, awsapi.ECROptions{Credentials: map[string]awsapi.Credential{keyID: {Secret: secret}}})
	reg := registrytest.New(t, registrytest.Options{Wrap: api.RegistryMiddleware("123456789012.dkr.ecr.us-east-1.amazonaws.com")})
	ctx := context.Background()
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	src, err := (&ecr.Cache{}).Source(ecr.Config{Region: "us-east-1", AccessKey: keyID, SecretKey: secret, Endpoint: api.URL}, reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	c := New(Options{Keychain: auth.Keychain(auth.NewStatic(map[string]auth.Credentials{reg.Host: {ECR: src}}))})
	t.Cleanup(c.Close)
	ref := mustParse(t, reg.Host+"/team/app:1")

	if _, err := c.Manifest(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if api.Calls() != 1 {
		t.Fatalf("%d GetAuthorizationToken calls for the first read, want 1", api.Calls())
	}
	api.ExpireAll() // the registry now refuses the cached password

	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Manifest(ctx, ref)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("read after the password expired: %v", err)
		}
	}
	if api.Calls() != 2 {
		t.Errorf("%d GetAuthorizationToken calls after the refusal, want 2 (exactly one refresh)", api.Calls())
	}
}
