package imageref

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	ocidigest "github.com/imageinfo/terraform-provider-imageinfo/internal/digest"
)

// DockerHub is the canonical name of Docker Hub, as Docker prints it.
const DockerHub = "docker.io"

// DefaultTag is the tag `docker pull` uses when a reference has neither a tag
// nor a digest.
const DefaultTag = "latest"

// maxNameLength is the longest registry/repository name Docker accepts.
const maxNameLength = 255

// The grammar below is the one of github.com/distribution/reference, which is
// what the Docker CLI and containerd use. It is restated here rather than
// imported so that this package depends on nothing but go-containerregistry's
// name package for the parts they share.
var (
	pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	tagPattern    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	// domainPattern accepts host names, IPv4 and bracketed IPv6 literals with
	// an optional port.
	domainPattern = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
)

// Reference is a parsed, normalised image reference.
type Reference struct {
	// Registry is the canonical registry host[:port]: "docker.io" for Docker Hub.
	Registry string
	// Repository is the canonical path: "library/nginx" for "nginx".
	Repository string
	// Tag is the tag given, or "latest" when neither a tag nor a digest was
	// given; empty for a digest-only reference.
	Tag string
	// Digest is the digest given ("sha256:…"), or empty. When both a tag and a
	// digest are given, the digest decides what is fetched, as in Docker.
	Digest string
}

// Parse parses a reference as `docker pull` accepts it: `nginx`, `nginx:1.27`,
// `ghcr.io/o/app@sha256:…`, `host:5000/a/b:t` or `name:tag@sha256:…`.
func Parse(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("reference is empty")
	}
	if strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r\n") {
		return Reference{}, fmt.Errorf("reference %q contains white space", s)
	}
	if strings.Contains(s, "://") {
		return Reference{}, fmt.Errorf("reference %q has a URL scheme: write it as host/repository:tag, without %q", s, s[:strings.Index(s, "://")+3])
	}

	var ref Reference
	rest := s
	if i := strings.Index(rest, "@"); i >= 0 {
		rest, ref.Digest = rest[:i], rest[i+1:]
		if err := ValidateDigest(ref.Digest); err != nil {
			return Reference{}, fmt.Errorf("reference %q: %w", s, err)
		}
	}
	// A tag follows the last ':' that comes after the last '/'; a ':' before
	// that separates a registry's port.
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		rest, ref.Tag = rest[:i], rest[i+1:]
		if !tagPattern.MatchString(ref.Tag) {
			return Reference{}, fmt.Errorf("reference %q: invalid tag %q: a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", s, ref.Tag)
		}
	}
	if rest == "" {
		return Reference{}, fmt.Errorf("reference %q has no repository name", s)
	}

	domain, path := splitDomain(rest)
	if !strings.ContainsAny(domain, ".:") && domain != "localhost" && strings.ToLower(domain) != domain {
		// Docker reads an upper-case first part as a registry, but in lower
		// case (as registries are compared and reported) it would be a
		// Docker Hub namespace: the pinned reference would name another
		// image.
		return Reference{}, fmt.Errorf("reference %q: registry host %q has neither a dot nor a port, so in lower case it would be a Docker Hub namespace: write the registry's full name or its port (%s:443), or the repository in lower case", s, domain, strings.ToLower(domain))
	}
	if domain != DockerHub {
		if !domainPattern.MatchString(domain) {
			return Reference{}, fmt.Errorf("reference %q: invalid registry host %q", s, domain)
		}
		if _, err := name.NewRegistry(domain, name.StrictValidation); err != nil {
			return Reference{}, fmt.Errorf("reference %q: invalid registry host %q", s, domain)
		}
	}
	if err := validatePath(path); err != nil {
		return Reference{}, fmt.Errorf("reference %q: %w", s, err)
	}
	if len(domain)+1+len(path) > maxNameLength {
		return Reference{}, fmt.Errorf("reference %q: repository name is longer than %d characters", s, maxNameLength)
	}
	ref.Registry = CanonicalRegistry(domain)
	ref.Repository = path
	if ref.Tag == "" && ref.Digest == "" {
		ref.Tag = DefaultTag
	}
	return ref, nil
}

// splitDomain splits a name into registry and path by Docker's rule: the first
// component is a registry when it contains '.' or ':', is "localhost", or has
// upper-case letters; otherwise the name is on Docker Hub, where a single
// component lives under "library/".
func splitDomain(s string) (domain, path string) {
	i := strings.IndexRune(s, '/')
	if i == -1 || (!strings.ContainsAny(s[:i], ".:") && s[:i] != "localhost" && strings.ToLower(s[:i]) == s[:i]) {
		domain, path = DockerHub, s
	} else {
		domain, path = s[:i], s[i+1:]
	}
	if CanonicalRegistry(domain) == DockerHub && !strings.ContainsRune(path, '/') {
		path = "library/" + path
	}
	return domain, path
}

func validatePath(path string) error {
	if path == "" {
		return fmt.Errorf("repository name is empty")
	}
	for _, c := range strings.Split(path, "/") {
		if !pathComponent.MatchString(c) {
			if strings.ToLower(c) != c {
				return fmt.Errorf("invalid repository name %q: repository names must be lower case", path)
			}
			return fmt.Errorf("invalid repository name %q: each '/'-separated part is lower-case letters and digits, joined by '.', '_', '__' or '-'", path)
		}
	}
	return nil
}

// ValidateDigest checks that s is a digest a registry can serve: an
// algorithm the OCI image spec registers (sha256 or sha512) and an encoded
// value of the right length. go-digest also knows sha384, which no registry
// serves content by: it is refused here, before any request. The rule
// itself is internal/digest's, shared with the registry client and the cache.
func ValidateDigest(s string) error { return ocidigest.Validate(s) }

// Name is registry/repository, e.g. "docker.io/library/nginx".
func (r Reference) Name() string { return r.Registry + "/" + r.Repository }

// String is the fully qualified reference: name, then ":tag" and "@digest"
// where present.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Identifier is what is asked of the registry: the digest when there is one,
// else the tag.
func (r Reference) Identifier() string {
	if r.Digest != "" {
		return r.Digest
	}
	return r.Tag
}

// Pin returns name@digest: the reference that always means this content.
func (r Reference) Pin(dgst string) string { return r.Name() + "@" + dgst }

// GGCRRepository returns the go-containerregistry form of the repository,
// for the wire. insecure makes go-containerregistry use plain HTTP for the
// registry.
func (r Reference) GGCRRepository(insecure bool) name.Repository {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	// The registry was validated by Parse; NewRegistry only maps docker.io to
	// go-containerregistry's name for Docker Hub here.
	reg, _ := name.NewRegistry(r.Registry, opts...)
	return reg.Repo(r.Repository)
}
