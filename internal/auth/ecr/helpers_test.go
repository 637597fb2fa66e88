package ecr

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

const (
	testHost   = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	testKey    = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// isolateAWS makes the test see no AWS configuration but its own: every AWS_*
// variable unset (credentials, profile, region, endpoints, CA bundle, ...), the shared config and credentials files pointed at empty
// temporary files (the real home is never read), and IMDS disabled so that
// the default chain ends at once instead of probing 169.254.169.254. It
// returns the paths of the two files.
func isolateAWS(t *testing.T) (configFile, credentialsFile string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restores the value when the test ends
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	configFile, credentialsFile = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{configFile, credentialsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return configFile, credentialsFile
}

// gate holds the ECR stand-in's answers while armed, so that a test can line
// up concurrent callers behind one in-flight call.
type gate struct {
	mu   sync.Mutex
	wait chan struct{}
}

// arm makes the next calls wait until the returned function is called.
func (g *gate) arm() (release func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.wait = ch
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.wait = nil
			g.mu.Unlock()
			close(ch)
		})
	}
}

// onCall is the stand-in's OnCall hook. The timeout only keeps a broken
// implementation from hanging the test; the assertions are on call counts.
func (g *gate) onCall() {
	g.mu.Lock()
	ch := g.wait
	g.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
		}
	}
}

// standIn starts an ECR stand-in that knows testKey, with a gate on its answers.
func standIn(t *testing.T) (*awsapi.ECR, *gate) {
	g := &gate{}
	e := awsapi.NewECR(t, awsapi.ECROptions{
		Credentials: map[string]awsapi.Credential{testKey: {Secret: testSecret}},
		OnCall:      g.onCall,
	})
	return e, g
}

// fakeClock is the Source's clock in expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func mustSource(t *testing.T, cfg Config, host string) *Source {
	t.Helper()
	s, err := NewSource(cfg, host)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	return s
}
