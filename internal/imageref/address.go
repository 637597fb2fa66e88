package imageref

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHubAliases are the names under which Docker, its config file and its
// API know Docker Hub.
var dockerHubAliases = map[string]bool{
	"docker.io":            true,
	"index.docker.io":      true,
	"registry-1.docker.io": true,
}

// CanonicalRegistry maps a registry host[:port] to the name this provider
// reports and matches credentials by: Docker Hub's aliases become "docker.io",
// host names are lower-cased. It accepts what go-containerregistry reports
// (index.docker.io) as well as what users write.
func CanonicalRegistry(host string) string {
	h := strings.ToLower(host)
	if dockerHubAliases[h] {
		return DockerHub
	}
	return h
}

// NormalizeAddress turns the address of a provider `registry` block into a
// canonical registry host[:port]. It accepts what a Docker config file uses
// as keys: a bare host, or a URL with a scheme whose path is empty or an API
// version root ("https://index.docker.io/v1/"). A repository path is an error,
// since credentials and TLS settings belong to a whole registry.
func NormalizeAddress(address string) (string, error) {
	if address == "" {
		return "", fmt.Errorf("address is empty: give the registry host, e.g. \"ghcr.io\" or \"registry.example.com:5000\"")
	}
	if strings.TrimSpace(address) != address {
		return "", fmt.Errorf("address %q has leading or trailing white space", address)
	}
	host := address
	for _, scheme := range []string{"https://", "http://"} {
		if len(host) >= len(scheme) && strings.EqualFold(host[:len(scheme)], scheme) {
			host = host[len(scheme):]
			break
		}
	}
	if i := strings.IndexRune(host, '/'); i >= 0 {
		path := strings.TrimSuffix(host[i:], "/")
		host = host[:i]
		if path != "" && path != "/v1" && path != "/v2" {
			return "", fmt.Errorf("address %q includes the path %q: a registry address is host[:port] only (here %q), and a repository belongs in an image reference", address, path, host)
		}
	}
	if host == "" || !domainPattern.MatchString(host) {
		return "", fmt.Errorf("address %q is not a registry host[:port]", address)
	}
	if _, err := name.NewRegistry(host, name.StrictValidation); err != nil {
		return "", fmt.Errorf("address %q is not a registry host[:port]", address)
	}
	return CanonicalRegistry(host), nil
}
