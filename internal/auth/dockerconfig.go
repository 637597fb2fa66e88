package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/memo"
)

// dockerHubKey is the key under which Docker stores Docker Hub credentials.
const dockerHubKey = "https://index.docker.io/v1/"

// DefaultDockerConfigPath is where `docker login` writes: $DOCKER_CONFIG/config.json,
// else ~/.docker/config.json.
func DefaultDockerConfigPath() string {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, config.ConfigFileName)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".docker", config.ConfigFileName)
	}
	return filepath.Join(home, ".docker", config.ConfigFileName)
}

// DockerConfig is the keychain step for the Docker config file, read the way
// `docker pull` reads it (docker/cli's own code): credHelpers[host], then
// credsStore, then auths[host] (auth, username/password, identitytoken,
// registrytoken), with Docker Hub under https://index.docker.io/v1/. Helpers
// run through the docker-credential-helpers protocol, once per registry.
type DockerConfig struct {
	path string

	loadOnce sync.Once
	file     *configfile.ConfigFile
	loadErr  error

	// hosts holds each host's credentials, failures included: a helper
	// that failed once is not run again in the same run.
	hosts memo.Map[string, authn.Authenticator]
}

// NewDockerConfig reads the config file at path ("" for the default) on
// first use. A missing file is an empty configuration, as for Docker.
func NewDockerConfig(path string) *DockerConfig {
	if path == "" {
		path = DefaultDockerConfigPath()
	}
	d := &DockerConfig{path: path}
	d.hosts.KeepFailures = true
	return d
}

// Path is the config file this keychain reads.
func (d *DockerConfig) Path() string { return d.path }

func (d *DockerConfig) load() (*configfile.ConfigFile, error) {
	d.loadOnce.Do(func() {
		f, err := os.Open(d.path)
		if os.IsNotExist(err) {
			d.file = configfile.New(d.path)
			return
		}
		if err != nil {
			d.loadErr = err
			return
		}
		defer f.Close()
		cf := configfile.New(d.path)
		if err := cf.LoadFromReader(f); err != nil {
			d.loadErr = fmt.Errorf("parsing: %w", err)
			return
		}
		d.file = cf
	})
	return d.file, d.loadErr
}

// Resolve implements authn.Keychain.
func (d *DockerConfig) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := imageref.CanonicalRegistry(target.RegistryStr())
	return d.hosts.Get(host, func() (authn.Authenticator, error) { return d.resolve(host) })
}

func (d *DockerConfig) resolve(host string) (authn.Authenticator, error) {
	cf, err := d.load()
	if err != nil {
		return nil, &CredentialError{Registry: host, Source: "the Docker config " + d.path, Err: err}
	}
	key := host
	if host == imageref.DockerHub {
		key = dockerHubKey
	}
	source := d.source(cf, key)
	ac, err := cf.GetAuthConfig(key)
	if err != nil {
		return nil, &CredentialError{Registry: host, Source: source, Err: err}
	}
	cfg := authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}
	if cfg == (authn.AuthConfig{}) {
		return authn.Anonymous, nil
	}
	return fromConfig(withIdentityTokenPassword(cfg), source), nil
}

// source names where the Docker config takes a host's credentials from,
// mirroring docker/cli's choice between credHelpers, credsStore and auths.
func (d *DockerConfig) source(cf *configfile.ConfigFile, key string) string {
	if helper, ok := cf.CredentialHelpers[key]; ok && helper != "" {
		return fmt.Sprintf("credential helper docker-credential-%s (credHelpers in %s)", helper, d.path)
	}
	if cf.CredentialsStore != "" {
		return fmt.Sprintf("credential helper docker-credential-%s (credsStore in %s)", cf.CredentialsStore, d.path)
	}
	return fmt.Sprintf("auths in the Docker config %s", d.path)
}
