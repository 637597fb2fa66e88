package ecr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// TestNewSourceChecksConfig proves each contradictory or incomplete ecr
// configuration is refused before any AWS call, with a message naming the
// problem, and that defaults come from the hostname.
func TestNewSourceChecksConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		host    string
		wantErr []string // substrings; nil means success
		region  string
		id      string
	}{
		{"defaults from host", Config{}, testHost, nil, "us-east-1", "123456789012"},
		{"same region in other case", Config{Region: "US-EAST-1"}, testHost, nil, "us-east-1", "123456789012"},
		{"region mismatch", Config{Region: "eu-west-1"}, testHost, []string{`"eu-west-1"`, `"us-east-1"`, testHost}, "", ""},
		{"registry id mismatch", Config{RegistryID: "210987654321"}, testHost, []string{"210987654321", "123456789012"}, "", ""},
		{"registry id not 12 digits", Config{RegistryID: "1234"}, testHost, []string{"12-digit"}, "", ""},
		{"not ECR, no region", Config{}, "registry.example.com", []string{"registry.example.com", "not an Amazon ECR hostname", "region"}, "", ""},
		{"look-alike, no region", Config{}, testHost + ".evil.example", []string{"not an Amazon ECR hostname"}, "", ""},
		{"not ECR, region given", Config{Region: "eu-central-1", RegistryID: "210987654321"}, "ecr-proxy.example.com", nil, "eu-central-1", "210987654321"},
		{"address with path", Config{}, testHost + "/team/app", []string{"repository path", `"` + testHost + `"`}, "", ""},
		{"address with scheme", Config{}, "https://" + testHost, []string{"scheme", `"` + testHost + `"`}, "", ""},
		{"access key alone", Config{AccessKey: testKey}, testHost, []string{"access_key and secret_key"}, "", ""},
		{"secret key alone", Config{SecretKey: testSecret}, testHost, []string{"access_key and secret_key"}, "", ""},
		{"session token alone", Config{SessionToken: "tok"}, testHost, []string{"session_token"}, "", ""},
		{"profile and keys", Config{Profile: "p", AccessKey: testKey, SecretKey: testSecret}, testHost, []string{"profile"}, "", ""},
		{"external id without role", Config{ExternalID: "x"}, testHost, []string{"role_arn"}, "", ""},
		{"public", Config{}, "public.ecr.aws", nil, "us-east-1", ""},
		{"public, other region", Config{Region: "eu-west-1"}, "public.ecr.aws", []string{"us-east-1", `"eu-west-1"`}, "", ""},
		{"public, registry id", Config{RegistryID: "123456789012"}, "public.ecr.aws", []string{"registry_id"}, "", ""},
		{"empty host", Config{}, "", []string{"empty"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSource(tt.cfg, tt.host)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("NewSource: %v", err)
				}
				if s.Region() != tt.region || s.RegistryID() != tt.id {
					t.Errorf("region %q, registry id %q; want %q, %q", s.Region(), s.RegistryID(), tt.region, tt.id)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewSource succeeded, want an error mentioning %q", tt.wantErr)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is a %T, want *ConfigError", err, err)
			}
			// The corrected host, for an address with more than a host.
			text := err.Error() + " " + strconv.Quote(ce.Value)
			for _, want := range tt.wantErr {
				if !strings.Contains(text, want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error %q contains the secret key", err)
			}
		})
	}
}

// authorize calls Authorization and checks the result is a password the
// stand-in issued, under username AWS.
func authorize(t *testing.T, s *Source, e *awsapi.ECR) string {
	t.Helper()
	got, err := s.Authorization(context.Background())
	if err != nil {
		t.Fatalf("Authorization: %v", err)
	}
	if got.Username != "AWS" || !e.Valid(got.Password) {
		t.Fatalf("Authorization = user %q and a password the stand-in did not issue (or expired)", got.Username)
	}
	return got.Password
}

// TestStaticKeys proves access_key/secret_key sign the call, for the
// registry id and region of the host.
func TestStaticKeys(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY00") // must be ignored
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	e, _ := standIn(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)
	authorize(t, s, e)
	r := e.Requests()
	if len(r) != 1 || r[0].AccessKeyID != testKey || r[0].Region != "us-east-1" {
		t.Errorf("requests = %+v, want one signed by %s in us-east-1", r, testKey)
	}
}

// TestEnvironmentCredentials proves the default chain picks up the
// AWS_* environment variables, session token included.
func TestEnvironmentCredentials(t *testing.T) {
	isolateAWS(t)
	const key, token = "ASIAENVIRONMENTKEY00", "env-session-token"
	e := awsapi.NewECR(t, awsapi.ECROptions{Credentials: map[string]awsapi.Credential{key: {Secret: testSecret, SessionToken: token}}})
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_SESSION_TOKEN", token)
	t.Setenv("AWS_ENDPOINT_URL_ECR", e.URL) // the SDK's own endpoint variable
	s := mustSource(t, Config{}, testHost)
	authorize(t, s, e)
	if r := e.Requests(); len(r) != 1 || r[0].AccessKeyID != key {
		t.Errorf("requests = %+v, want one signed by the environment's key", r)
	}
}

// TestProfile proves profile selects a profile of the shared credentials file,
// over the file's default profile and over environment keys.
func TestProfile(t *testing.T) {
	configFile, credentialsFile := isolateAWS(t)
	const profileKey = "AKIAPROFILEKEY000000"
	e := awsapi.NewECR(t, awsapi.ECROptions{Credentials: map[string]awsapi.Credential{profileKey: {Secret: testSecret}}})
	creds := fmt.Sprintf("[default]\naws_access_key_id = AKIADEFAULTKEY000000\naws_secret_access_key = x\n\n"+
		"[ecrtest]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profileKey, testSecret)
	if err := os.WriteFile(credentialsFile, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configFile, []byte("[profile ecrtest]\nregion = ap-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")

	s := mustSource(t, Config{Profile: "ecrtest", Endpoint: e.URL}, testHost)
	authorize(t, s, e)
	if r := e.Requests(); len(r) != 1 || r[0].AccessKeyID != profileKey || r[0].Region != "us-east-1" {
		t.Errorf("requests = %+v, want one signed by the profile's key in the host's region", r)
	}
}

// TestAssumeRole proves role_arn is assumed through STS with external_id and
// the default session name, and that ECR is called with the role's temporary
// keys: the stand-in ECR does not know the source keys at all.
func TestAssumeRole(t *testing.T) {
	isolateAWS(t)
	e := awsapi.NewECR(t, awsapi.ECROptions{})
	st := awsapi.NewSTS(t, awsapi.STSOptions{
		Credentials:       map[string]awsapi.Credential{testKey: {Secret: testSecret}},
		ECR:               e,
		RequireExternalID: "ext-123",
	})
	const role = "arn:aws:iam::123456789012:role/ecr-pull"
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, RoleARN: role, ExternalID: "ext-123",
		Endpoint: e.URL, STSEndpoint: st.URL}, testHost)
	authorize(t, s, e)

	last := st.Last()
	if last.RoleARN != role || last.ExternalID != "ext-123" || last.SessionName != DefaultSessionName || last.CallerKeyID != testKey {
		t.Errorf("AssumeRole call = %+v", last)
	}
	if r := e.Requests(); len(r) != 1 || r[0].AccessKeyID != last.IssuedKeyID {
		t.Errorf("ECR requests = %+v, want one signed by the assumed role's key %s", r, last.IssuedKeyID)
	}
}

// TestAssumeRoleEnvironmentEndpoints proves AWS_ENDPOINT_URL_STS and
// AWS_ENDPOINT_URL_ECR are honoured, with environment source keys and a
// configured session name.
func TestAssumeRoleEnvironmentEndpoints(t *testing.T) {
	isolateAWS(t)
	e := awsapi.NewECR(t, awsapi.ECROptions{})
	st := awsapi.NewSTS(t, awsapi.STSOptions{Credentials: map[string]awsapi.Credential{testKey: {Secret: testSecret}}, ECR: e})
	t.Setenv("AWS_ACCESS_KEY_ID", testKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_ENDPOINT_URL_STS", st.URL)
	t.Setenv("AWS_ENDPOINT_URL_ECR", e.URL)
	s := mustSource(t, Config{RoleARN: "arn:aws:iam::123456789012:role/ecr-pull", SessionName: "ci-run-7"}, testHost)
	authorize(t, s, e)
	if last := st.Last(); last.SessionName != "ci-run-7" || last.ExternalID != "" {
		t.Errorf("AssumeRole call = %+v, want session ci-run-7 and no external id", last)
	}
}

// TestConcurrentCallersShareOneCall proves 20 goroutines asking at once cost
// exactly one GetAuthorizationToken: the stand-in holds its answer until the
// 19 others have joined the call in flight, and all get the same password.
func TestConcurrentCallersShareOneCall(t *testing.T) {
	isolateAWS(t)
	e, g := standIn(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)
	release := g.arm()
	defer release()
	joined := 0
	s.onJoin = func() { // runs under s.mu
		if joined++; joined == 19 {
			release()
		}
	}

	passwords := make([]string, 20)
	var wg sync.WaitGroup
	for i := range passwords {
		wg.Go(func() {
			got, err := s.Authorization(context.Background())
			if err != nil {
				t.Errorf("Authorization: %v", err)
			}
			passwords[i] = got.Password
		})
	}
	wg.Wait()
	if e.Calls() != 1 {
		t.Errorf("20 concurrent callers made %d GetAuthorizationToken calls, want 1", e.Calls())
	}
	for _, p := range passwords {
		if p != e.Passwords()[0] {
			t.Fatalf("callers got different passwords")
		}
	}
}

// TestPasswordReused proves later calls reuse the cached password without
// another API call, through Authorization and the ggcr Authenticator alike.
func TestPasswordReused(t *testing.T) {
	isolateAWS(t)
	e, _ := standIn(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)
	first := authorize(t, s, e)
	for range 5 {
		if got := authorize(t, s, e); got != first {
			t.Fatalf("password changed without expiry")
		}
	}
	a := s.Authenticator()
	if _, ok := a.(authn.ContextAuthenticator); !ok {
		t.Errorf("Authenticator does not implement authn.ContextAuthenticator")
	}
	for _, get := range []func() (*authn.AuthConfig, error){
		a.Authorization,
		func() (*authn.AuthConfig, error) { return authn.Authorization(context.Background(), a) },
	} {
		cfg, err := get()
		if err != nil || cfg.Username != "AWS" || cfg.Password != first {
			t.Errorf("Authenticator gave %v, %v; want the cached password", cfg != nil && cfg.Password == first, err)
		}
	}
	if e.Calls() != 1 {
		t.Errorf("%d API calls, want 1", e.Calls())
	}
}

// TestRefreshBeforeExpiry proves the password is replaced within five
// minutes of ExpiresAt and not before, and that a failed early refresh falls
// back to the unexpired password while a failure after expiry is an error.
func TestRefreshBeforeExpiry(t *testing.T) {
	isolateAWS(t)
	e, _ := standIn(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)
	clock := &fakeClock{t: time.Now()}
	t0 := clock.Now()
	s.now = clock.Now

	p1 := authorize(t, s, e) // expires about t0+12h
	e.SetTTL(24 * time.Hour) // the next expires about t0+24h

	clock.Set(t0.Add(12*time.Hour - 6*time.Minute))
	if authorize(t, s, e) != p1 || e.Calls() != 1 {
		t.Fatalf("refreshed more than five minutes before expiry (%d calls)", e.Calls())
	}
	clock.Set(t0.Add(12*time.Hour - 4*time.Minute))
	p2 := authorize(t, s, e)
	if p2 == p1 || e.Calls() != 2 {
		t.Fatalf("did not refresh within five minutes of expiry (%d calls)", e.Calls())
	}

	e.SetDenied(testKey, true)
	clock.Set(t0.Add(24*time.Hour - 4*time.Minute))
	got, err := s.Authorization(context.Background())
	if err != nil || got.Password != p2 || e.Calls() != 3 {
		t.Fatalf("failed early refresh: got err %v, same password %v, %d calls; want the unexpired password after one more call",
			err, got.Password == p2, e.Calls())
	}
	clock.Set(t0.Add(24*time.Hour + time.Minute))
	var ecrErr *Error
	if _, err := s.Authorization(context.Background()); !errors.As(err, &ecrErr) || ecrErr.Code != "AccessDeniedException" {
		t.Fatalf("refresh after expiry: err = %v, want AccessDeniedException", err)
	}
}

// TestInvalidateRefreshesOnce proves that 20 concurrent refusals of the same
// password cause exactly one refresh, and that refusing an old password does
// not throw away a newer one.
func TestInvalidateRefreshesOnce(t *testing.T) {
	isolateAWS(t)
	e, g := standIn(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)
	p1 := authorize(t, s, e)

	release := g.arm()
	defer release()
	joined := 0
	s.onJoin = func() {
		if joined++; joined == 19 {
			release()
		}
	}
	passwords := make([]string, 20)
	var wg sync.WaitGroup
	for i := range passwords {
		wg.Go(func() {
			s.Invalidate(p1)
			got, err := s.Authorization(context.Background())
			if err != nil {
				t.Errorf("Authorization: %v", err)
			}
			passwords[i] = got.Password
		})
	}
	wg.Wait()
	if e.Calls() != 2 {
		t.Fatalf("20 concurrent Invalidate+Authorization made %d calls in all, want 2", e.Calls())
	}
	p2 := e.Passwords()[1]
	for _, p := range passwords {
		if p != p2 {
			t.Fatalf("a caller did not get the refreshed password")
		}
	}
	s.Invalidate(p1) // stale refusal
	if authorize(t, s, e) != p2 || e.Calls() != 2 {
		t.Errorf("invalidating an old password dropped the current one")
	}
}

// TestRefreshAfterRegistryRefusal runs the whole loop against the registry
// middleware: a password the registry stops accepting is invalidated and
// replaced by one it accepts.
func TestRefreshAfterRegistryRefusal(t *testing.T) {
	isolateAWS(t)
	e, _ := standIn(t)
	reg := httptest.NewServer(e.RegistryMiddleware(testHost)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	t.Cleanup(reg.Close)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)

	ping := func() (int, string) {
		auth, err := s.Authorization(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, reg.URL+"/v2/", nil)
		req.SetBasicAuth(auth.Username, auth.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, auth.Password
	}
	if status, _ := ping(); status != http.StatusOK {
		t.Fatalf("fresh password: registry said %d", status)
	}
	e.ExpireAll()
	status, refused := ping()
	if status != http.StatusUnauthorized {
		t.Fatalf("expired password: registry said %d, want 401", status)
	}
	s.Invalidate(refused)
	if status, _ := ping(); status != http.StatusOK || e.Calls() != 2 {
		t.Fatalf("after Invalidate: registry said %d after %d calls, want 200 after 2", status, e.Calls())
	}
}

// TestCanceledWaiter proves a caller whose context ends stops waiting with a
// Canceled error, while the call in flight completes and is cached for others.
func TestCanceledWaiter(t *testing.T) {
	isolateAWS(t)
	e, g := standIn(t)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: e.URL}, testHost)
	release := g.arm()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Authorization(ctx)
	var ecrErr *Error
	if !errors.As(err, &ecrErr) || ecrErr.Code != CodeCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a Canceled *Error wrapping context.Canceled", err)
	}
	release()
	authorize(t, s, e)
	if e.Calls() != 1 {
		t.Errorf("%d calls, want the detached call to have been reused", e.Calls())
	}
}

// TestPublic proves ECR Public uses ecr-public GetAuthorizationToken in
// us-east-1, through the AWS_ENDPOINT_URL_ECR_PUBLIC variable.
func TestPublic(t *testing.T) {
	isolateAWS(t)
	e, _ := standIn(t)
	t.Setenv("AWS_ENDPOINT_URL_ECR_PUBLIC", e.URL)
	s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret}, "Public.ECR.aws")
	authorize(t, s, e)
	if r := e.Requests(); len(r) != 1 || r[0].Target != awsapi.TargetECRPublic || r[0].Region != "us-east-1" || r[0].Service != "ecr-public" {
		t.Errorf("requests = %+v, want one ECR Public call in us-east-1", r)
	}
}

// stopClient is an aws.HTTPClient that records where the SDK sends a request
// and answers with an AWS error, so endpoint resolution can be observed with
// no network and no retries.
type stopClient struct {
	mu    sync.Mutex
	hosts []string
}

func (c *stopClient) Do(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.hosts = append(c.hosts, req.URL.Host)
	c.mu.Unlock()
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rec.Header().Set("X-Amzn-ErrorType", "TestStop")
	rec.WriteHeader(http.StatusBadRequest)
	_, _ = rec.WriteString(`{"__type":"TestStop","message":"stopped by the test"}`)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// TestAPIEndpoints proves the ECR API endpoint follows the host: FIPS hosts
// use the FIPS API, other partitions their own domain, ECR Public us-east-1,
// and an explicit endpoint wins (even over FIPS). It also proves HTTPClient
// carries the calls.
func TestAPIEndpoints(t *testing.T) {
	isolateAWS(t)
	tests := []struct {
		host, endpoint, want string
	}{
		{testHost, "", "api.ecr.us-east-1.amazonaws.com"},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "", "api.ecr-fips.us-east-1.amazonaws.com"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "", "api.ecr.cn-north-1.amazonaws.com.cn"},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "https://vpce-1.ecr.example", "vpce-1.ecr.example"},
		{"public.ecr.aws", "", "api.ecr-public.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.host+" "+tt.endpoint, func(t *testing.T) {
			c := &stopClient{}
			s := mustSource(t, Config{AccessKey: testKey, SecretKey: testSecret, Endpoint: tt.endpoint, HTTPClient: c}, tt.host)
			_, err := s.Authorization(context.Background())
			var ecrErr *Error
			if !errors.As(err, &ecrErr) || ecrErr.Code != "TestStop" {
				t.Fatalf("err = %v, want the stop client's TestStop", err)
			}
			if len(c.hosts) != 1 || c.hosts[0] != tt.want {
				t.Errorf("requests went to %v, want %s", c.hosts, tt.want)
			}
		})
	}
}

// TestCacheSharesSources proves one Source per (host, configuration): the
// same pair returns the same Source, any difference a new one.
func TestCacheSharesSources(t *testing.T) {
	var c Cache
	cfg := Config{AccessKey: testKey, SecretKey: testSecret}
	a, err := c.Source(cfg, testHost)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Source(cfg, strings.ToUpper(testHost)+":443"); b != a {
		t.Errorf("same registry written differently got another Source")
	}
	other := cfg
	other.SecretKey = "other"
	if b, _ := c.Source(other, testHost); b == a {
		t.Errorf("different credentials share a Source")
	}
	if b, _ := c.Source(cfg, "210987654321.dkr.ecr.us-east-1.amazonaws.com"); b == a {
		t.Errorf("different registries share a Source")
	}
	client := &stopClient{}
	withClient := cfg
	withClient.HTTPClient = client
	b1, _ := c.Source(withClient, testHost)
	b2, _ := c.Source(withClient, testHost)
	if b1 == a || b1 != b2 {
		t.Errorf("HTTP client not part of the key")
	}
	if _, err := c.Source(Config{Region: "eu-west-1"}, testHost); err == nil {
		t.Errorf("Cache.Source accepted a region mismatch")
	}
}

// TestCacheKeysOnEverySetting proves that two configurations differing in any
// one string setting get different Sources: each setting decides which
// password is fetched (an external_id dropped from the key would hand one
// role's password to another configuration).
func TestCacheKeysOnEverySetting(t *testing.T) {
	const host = "registry.example.com" // not an ECR hostname: region and registry id are free
	full := Config{Region: "us-east-1", RegistryID: "123456789012", AccessKey: testKey, SecretKey: testSecret,
		SessionToken: "token", RoleARN: "arn:aws:iam::123456789012:role/r", ExternalID: "ext", SessionName: "s",
		Endpoint: "https://ecr.example", STSEndpoint: "https://sts.example"}
	typ := reflect.TypeOf(full)
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.String {
			continue
		}
		a := full
		if f.Name == "Profile" {
			// A profile excludes static keys.
			a.AccessKey, a.SecretKey, a.SessionToken, a.Profile = "", "", "", "p"
		}
		b := a
		field := reflect.ValueOf(&b).Elem().Field(i)
		field.SetString(field.String() + "x")
		if f.Name == "RegistryID" {
			b.RegistryID = "210987654321"
		}
		c := &Cache{}
		sa, err := c.Source(a, host)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		sb, err := c.Source(b, host)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if sa == sb {
			t.Errorf("two configurations differing only in %s share one Source", f.Name)
		}
	}
}
