package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-containerregistry/pkg/authn"
)

// DefaultSessionName is the role session name used for role_arn when none is
// configured; it shows up in CloudTrail, so it names the tool.
const DefaultSessionName = "terraform-provider-imageinfo"

const (
	// refreshMargin: a password is replaced this long before ExpiresAt, so
	// that one handed out is not refused half-way through a data source read.
	refreshMargin = 5 * time.Minute
	// fetchTimeout bounds one GetAuthorizationToken (credentials included).
	// The call runs detached from the caller that started it, so that one
	// caller giving up does not fail the others waiting on the same call.
	fetchTimeout = 2 * time.Minute
	// defaultLifetime is assumed when AWS returns no ExpiresAt (it always
	// does; this only keeps a missing field from meaning "forever").
	defaultLifetime = time.Hour
)

// Config is the ecr block of a registry: where and as whom to call
// GetAuthorizationToken. Every field is optional; the zero Config means "the
// default AWS credential chain, region and registry id from the hostname".
type Config struct {
	// Region of the ECR API; default: the region in the registry hostname.
	// Required for a host that is not an ECR hostname (a proxy, a VPC
	// endpoint alias). ECR Public is always us-east-1.
	Region string
	// RegistryID is the 12-digit account id that owns the registry; default:
	// the one in the hostname. It names the registry in errors and must agree
	// with the hostname; it is not sent to AWS, whose token covers every
	// registry the credentials may pull from (registryIds is deprecated).
	RegistryID string
	// Profile selects a profile of the shared config and credentials files.
	Profile string
	// AccessKey and SecretKey (both or neither), with SessionToken for
	// temporary keys, replace the default credential chain.
	AccessKey, SecretKey, SessionToken string
	// RoleARN is assumed with sts:AssumeRole, using the credentials above as
	// the source, before calling ECR. ExternalID and SessionName go with it;
	// SessionName defaults to DefaultSessionName.
	RoleARN, ExternalID, SessionName string
	// Endpoint overrides the ECR (or ECR Public) API endpoint, e.g. a VPC
	// endpoint. AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_ECR_PUBLIC are
	// honoured by the SDK when this is empty.
	Endpoint string
	// STSEndpoint overrides the STS endpoint used for RoleARN (tests, STS VPC
	// endpoints). AWS_ENDPOINT_URL_STS is honoured by the SDK when empty.
	STSEndpoint string
	// HTTPClient, when set, carries every AWS call (STS and ECR); default: the
	// SDK's own client. With AWS_CA_BUNDLE set, the SDK accepts only an
	// *awshttp.BuildableClient here.
	HTTPClient aws.HTTPClient
}

// Source hands out the ECR password of one registry for one credential
// configuration. It calls GetAuthorizationToken once, reuses the password
// until shortly before it expires, and never has more than one call in flight:
// twenty data sources reading at once cost one API call. A Source is safe for
// concurrent use; share one per (host, Config), e.g. through a Cache.
type Source struct {
	cfg        Config
	host       string
	region     string
	registryID string
	public     bool
	fips       bool

	// now and onJoin are replaced by tests: the clock decides expiry, and
	// onJoin reports a caller joining a call already in flight.
	now    func() time.Time
	onJoin func()

	mu      sync.Mutex
	tok     *token
	flight  *flight
	secrets []string // credentials and passwords seen, redacted from messages

	// call is built on the first fetch and then reused. Only the goroutine
	// running the single in-flight fetch touches it.
	call func(context.Context) (encoded string, expiresAt *time.Time, err error)
}

type token struct {
	username, password   string
	expiresAt, refreshAt time.Time
}

type flight struct {
	done chan struct{}
	tok  *token
	err  error
}

var registryIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// NewSource checks cfg against the registry host and returns a Source for it.
// Region and registry id default to what an ECR hostname says; a configured
// region or registry id that contradicts the hostname is an error (it would
// fetch a password for another registry). A host that is not ECR needs an
// explicit region. NewSource does no I/O: the AWS configuration is loaded on
// the first Authorization.
func NewSource(cfg Config, host string) (*Source, error) {
	if host == "" {
		return nil, &ConfigError{Setting: "address", Fix: FixSet, Problem: "the registry address is empty"}
	}
	if strings.Contains(host, "/") {
		return nil, &ConfigError{Setting: "address", Fix: FixHostOnly, Value: hostOnly(host),
			Problem: fmt.Sprintf("the registry address %q includes a scheme or a repository path", host)}
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return nil, &ConfigError{Setting: "access_key", Fix: FixGiveTogether, Problem: "access_key and secret_key go together, and only one is set"}
	}
	if cfg.SessionToken != "" && cfg.AccessKey == "" {
		return nil, &ConfigError{Setting: "session_token", Fix: FixGiveTogether, Problem: "session_token is set without access_key and secret_key"}
	}
	if cfg.Profile != "" && cfg.AccessKey != "" {
		return nil, &ConfigError{Setting: "profile", Fix: FixRemove, Problem: "both profile and access_key are set, and they are two sources of the same credentials"}
	}
	if cfg.RoleARN == "" && (cfg.ExternalID != "" || cfg.SessionName != "") {
		return nil, &ConfigError{Setting: "role_arn", Fix: FixSet, Problem: "external_id and session_name apply only with role_arn, which is not set"}
	}
	if cfg.RegistryID != "" && !registryIDPattern.MatchString(cfg.RegistryID) {
		return nil, &ConfigError{Setting: "registry_id", Fix: FixRemoveOrCorrect, Problem: fmt.Sprintf("registry_id %q is not a 12-digit AWS account id", cfg.RegistryID)}
	}

	s := &Source{cfg: cfg, now: time.Now}
	switch h, ok := ParseHost(host); {
	case IsPublic(host):
		if cfg.Region != "" && !strings.EqualFold(cfg.Region, PublicRegion) {
			return nil, &ConfigError{Setting: "region", Fix: FixRemove,
				Problem: fmt.Sprintf("region %q is given for %s, but the ECR Public API exists only in %s", cfg.Region, PublicHost, PublicRegion)}
		}
		if cfg.RegistryID != "" {
			return nil, &ConfigError{Setting: "registry_id", Fix: FixRemove,
				Problem: fmt.Sprintf("registry_id does not apply to %s: ECR Public has one token for all registries", PublicHost)}
		}
		s.host, s.region, s.public = PublicHost, PublicRegion, true
	case ok:
		if cfg.Region != "" && !strings.EqualFold(cfg.Region, h.Region) {
			return nil, &ConfigError{Setting: "region", Fix: FixRemoveOrCorrect,
				Problem: fmt.Sprintf("region %q does not match the region %q of registry %s", cfg.Region, h.Region, h.Name)}
		}
		if cfg.RegistryID != "" && cfg.RegistryID != h.RegistryID {
			return nil, &ConfigError{Setting: "registry_id", Fix: FixRemoveOrCorrect,
				Problem: fmt.Sprintf("registry_id %q does not match the registry id %q of registry %s", cfg.RegistryID, h.RegistryID, h.Name)}
		}
		s.host, s.region, s.registryID, s.fips = h.Name, h.Region, h.RegistryID, h.FIPS
	default:
		if cfg.Region == "" {
			return nil, &ConfigError{Setting: "region", Fix: FixSet,
				Problem: fmt.Sprintf("%s is not an Amazon ECR hostname (<account id>.dkr.ecr.<region>.amazonaws.com), so the region cannot be taken from it", host)}
		}
		s.host, s.region, s.registryID = strings.ToLower(host), cfg.Region, cfg.RegistryID
	}
	return s, nil
}

// hostOnly strips a scheme and a path from an address, for the error message.
func hostOnly(addr string) string {
	if _, rest, ok := strings.Cut(addr, "://"); ok {
		addr = rest
	}
	h, _, _ := strings.Cut(addr, "/")
	return h
}

// Host is the registry host this Source is for, lower-cased.
func (s *Source) Host() string { return s.host }

// Region is the region GetAuthorizationToken is called in.
func (s *Source) Region() string { return s.region }

// RegistryID is the 12-digit id of the registry, from the hostname or the
// Config; empty for ECR Public and for a non-ECR host without registry_id.
func (s *Source) RegistryID() string { return s.registryID }

// Public reports whether this Source is for ECR Public.
func (s *Source) Public() bool { return s.public }

// Authorization returns the registry credentials: username "AWS" and the
// current ECR password. A cached password is returned while it is more than
// five minutes (or half its lifetime, if shorter) from expiry; otherwise one
// GetAuthorizationToken is made, shared by every concurrent caller. If that
// refresh fails while the cached password has not yet expired, the cached one
// is returned. Errors are *Error.
func (s *Source) Authorization(ctx context.Context) (authn.AuthConfig, error) {
	s.mu.Lock()
	if t := s.tok; t != nil && s.now().Before(t.refreshAt) {
		s.mu.Unlock()
		return t.authConfig(), nil
	}
	f := s.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.flight = f
		go s.run(ctx, f)
	} else if s.onJoin != nil {
		s.onJoin()
	}
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return authn.AuthConfig{}, &Error{Op: s.op(), Host: s.host, Region: s.region, RegistryID: s.registryID,
			RoleARN: s.cfg.RoleARN, Public: s.public, Code: CodeCanceled, Message: ctx.Err().Error(), Err: ctx.Err()}
	}
	if f.err != nil {
		return authn.AuthConfig{}, f.err
	}
	return f.tok.authConfig(), nil
}

// Invalidate drops the cached password if it is still password, so that the
// next Authorization fetches a new one. Call it when the registry refuses a
// password this Source handed out (it expired early, or the credentials
// changed). Because only the refused password is dropped, twenty concurrent
// refusals of the same password cost one refresh, not twenty.
func (s *Source) Invalidate(password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.password == password {
		s.tok = nil
	}
}

// Authenticator adapts the Source to go-containerregistry. The returned value
// implements both authn.Authenticator and authn.ContextAuthenticator; ggcr
// prefers the latter, which honours the request's context.
func (s *Source) Authenticator() authn.Authenticator { return authenticator{s} }

type authenticator struct{ s *Source }

var (
	_ authn.Authenticator        = authenticator{}
	_ authn.ContextAuthenticator = authenticator{}
)

func (a authenticator) Authorization() (*authn.AuthConfig, error) {
	return a.AuthorizationContext(context.Background())
}

func (a authenticator) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	c, err := a.s.Authorization(ctx)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (t *token) authConfig() authn.AuthConfig {
	return authn.AuthConfig{Username: t.username, Password: t.password}
}

func (s *Source) op() string { return "GetAuthorizationToken" }

// run performs the single in-flight fetch and publishes its result to every
// caller waiting on f.
func (s *Source) run(ctx context.Context, f *flight) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	tok, err := s.fetch(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.tok = tok
		s.remember(tok.password)
	case s.tok != nil && s.now().Before(s.tok.expiresAt):
		// Refreshing early failed, but the password in hand still works.
		tok, err = s.tok, nil
	}
	f.tok, f.err = tok, err
	s.flight = nil
	close(f.done)
}

func (s *Source) fetch(ctx context.Context) (*token, error) {
	base := Error{Op: s.op(), Host: s.host, Region: s.region, RegistryID: s.registryID, RoleARN: s.cfg.RoleARN, Public: s.public}
	if s.call == nil {
		call, err := s.newCall(ctx)
		if err != nil {
			base.Op = ""
			return nil, classify(err, base, s.redact())
		}
		s.call = call
	}
	encoded, expiresAt, err := s.call(ctx)
	if err != nil {
		return nil, classify(err, base, s.redact())
	}
	username, password, err := decodeToken(encoded)
	if err != nil {
		base.Code, base.Message, base.Err = CodeInvalidResponse, err.Error(), err
		return nil, &base
	}
	now := s.now()
	exp := now.Add(defaultLifetime)
	if expiresAt != nil {
		exp = *expiresAt
	}
	margin := min(refreshMargin, exp.Sub(now)/2)
	return &token{username: username, password: password, expiresAt: exp, refreshAt: exp.Add(-margin)}, nil
}

// decodeToken splits base64("AWS:<password>"). Its errors never quote the
// token: it is the password.
func decodeToken(encoded string) (username, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", errors.New("the authorization token AWS returned is not base64")
	}
	username, password, ok := strings.Cut(string(raw), ":")
	if !ok || username == "" || password == "" {
		return "", "", errors.New(`the authorization token AWS returned is not "user:password"`)
	}
	return username, password, nil
}

// newCall loads the AWS configuration and builds the client. It runs on the
// first fetch rather than in NewSource because it reads files and environment
// and may talk to STS, all of which want the caller's context.
func (s *Source) newCall(ctx context.Context) (func(context.Context) (string, *time.Time, error), error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(s.region)}
	if s.cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.cfg.Profile))
	}
	if s.cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(s.cfg.HTTPClient))
	}
	if s.cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(s.cfg.AccessKey, s.cfg.SecretKey, s.cfg.SessionToken)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &configLoadError{err}
	}
	if awsCfg.Credentials != nil {
		awsCfg.Credentials = &recordingProvider{inner: awsCfg.Credentials, s: s}
	}
	if s.cfg.RoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg, func(o *sts.Options) {
			if s.cfg.STSEndpoint != "" {
				o.BaseEndpoint = aws.String(s.cfg.STSEndpoint)
			}
		})
		provider := stscreds.NewAssumeRoleProvider(stsClient, s.cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = DefaultSessionName
			if s.cfg.SessionName != "" {
				o.RoleSessionName = s.cfg.SessionName
			}
			if s.cfg.ExternalID != "" {
				o.ExternalID = aws.String(s.cfg.ExternalID)
			}
		})
		awsCfg.Credentials = &recordingProvider{inner: aws.NewCredentialsCache(provider), s: s}
	}

	if s.public {
		client := ecrpublic.NewFromConfig(awsCfg, func(o *ecrpublic.Options) {
			if s.cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(s.cfg.Endpoint)
			}
		})
		return func(ctx context.Context) (string, *time.Time, error) {
			out, err := client.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
			if err != nil {
				return "", nil, err
			}
			if out.AuthorizationData == nil || out.AuthorizationData.AuthorizationToken == nil {
				return "", nil, errors.New("the ECR Public response holds no authorization token")
			}
			return *out.AuthorizationData.AuthorizationToken, out.AuthorizationData.ExpiresAt, nil
		}, nil
	}

	client := ecr.NewFromConfig(awsCfg, func(o *ecr.Options) {
		if s.cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.cfg.Endpoint)
		}
		// A FIPS registry host implies the FIPS API endpoint, as in
		// amazon-ecr-credential-helper; the SDK refuses FIPS together with a
		// custom endpoint, which then wins.
		if s.fips && o.BaseEndpoint == nil {
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
	})
	// No registryIds: the field is deprecated because the token works for
	// every registry the principal may pull from, whichever id is named. The
	// registry id still names the registry in errors.
	return func(ctx context.Context) (string, *time.Time, error) {
		out, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if err != nil {
			return "", nil, err
		}
		for _, d := range out.AuthorizationData {
			if d.AuthorizationToken != nil {
				return *d.AuthorizationToken, d.ExpiresAt, nil
			}
		}
		return "", nil, errors.New("the GetAuthorizationToken response holds no authorization token")
	}, nil
}

// recordingProvider wraps a credential provider to mark its failures (the SDK
// has no error type for "could not get credentials") and to remember the
// secrets it hands out, so that no message can ever repeat them.
type recordingProvider struct {
	inner aws.CredentialsProvider
	s     *Source
}

func (p *recordingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.inner.Retrieve(ctx)
	if err != nil {
		return c, &credentialsError{err}
	}
	p.s.mu.Lock()
	p.s.remember(c.SecretAccessKey)
	p.s.remember(c.SessionToken)
	p.s.mu.Unlock()
	return c, nil
}

// maxSecrets bounds the remembered secrets; older ones are no longer in use.
const maxSecrets = 32

// remember adds a secret to the redaction list. s.mu must be held.
func (s *Source) remember(secret string) {
	if secret == "" {
		return
	}
	for _, have := range s.secrets {
		if have == secret {
			return
		}
	}
	if len(s.secrets) == maxSecrets {
		s.secrets = s.secrets[1:]
	}
	s.secrets = append(s.secrets, secret)
}

// redact returns a function removing every secret this Source knows of:
// configured, from the environment, retrieved, and issued passwords.
func (s *Source) redact() func(string) string {
	s.mu.Lock()
	secrets := append([]string{s.cfg.SecretKey, s.cfg.SessionToken,
		os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")}, s.secrets...)
	s.mu.Unlock()
	return redactor(secrets...)
}
