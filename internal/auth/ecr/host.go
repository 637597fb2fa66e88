package ecr

import (
	"net"
	"regexp"
	"strings"
)

// PublicHost is the registry host of ECR Public. Its API,
// ecr-public:GetAuthorizationToken, exists only in PublicRegion.
const (
	PublicHost   = "public.ecr.aws"
	PublicRegion = "us-east-1"
)

// Host is what an ECR private registry hostname says about the registry.
type Host struct {
	// Name is the hostname, lower-cased and without a port.
	Name string
	// RegistryID is the 12-digit AWS account id that owns the registry.
	RegistryID string
	// Region is the AWS region of the registry, e.g. "us-east-1".
	Region string
	// Partition is the AWS partition: "aws", "aws-cn", "aws-us-gov", "aws-iso",
	// "aws-iso-b", "aws-iso-e", "aws-iso-f" or "aws-eusc".
	Partition string
	// FIPS is set for ".dkr.ecr-fips." and ".dkr-ecr-fips." hosts: the ECR API
	// is then called on its FIPS endpoint too.
	FIPS bool
	// DualStack is set for the IPv4/IPv6 hosts under "on.aws" and
	// "on.amazonwebservices.com.cn".
	DualStack bool
}

// hostPattern is the set of hostnames amazon-ecr-credential-helper
// (ecr-login/api/client.go) recognises, anchored at both ends so that
// look-alikes such as "<id>.dkr.ecr.<region>.amazonaws.com.evil.example" do not
// match. Matching the helper's set keeps "works with docker-credential-ecr-login"
// and "works here" the same statement. It is applied to lower-cased input.
var hostPattern = regexp.MustCompile(`^([0-9]{12})\.dkr[.-]ecr(-fips)?\.([a-z0-9][a-z0-9_-]*)\.` +
	`(amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu|on\.aws|on\.amazonwebservices\.com\.cn|` +
	`c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)

// suffixPartition maps a DNS suffix to its partition; "" means "aws" unless the
// region is a GovCloud one (GovCloud shares amazonaws.com and on.aws).
var suffixPartition = map[string]string{
	"amazonaws.com":               "",
	"on.aws":                      "",
	"amazonaws.com.cn":            "aws-cn",
	"on.amazonwebservices.com.cn": "aws-cn",
	"amazonaws.eu":                "aws-eusc",
	"c2s.ic.gov":                  "aws-iso",
	"sc2s.sgov.gov":               "aws-iso-b",
	"cloud.adc-e.uk":              "aws-iso-e",
	"csp.hci.ic.gov":              "aws-iso-f",
}

// ParseHost is the one place that recognises ECR private registry hostnames:
//
//	<12 digits>.dkr.ecr.<region>.amazonaws.com        (and .amazonaws.com.cn, .amazonaws.eu)
//	<12 digits>.dkr.ecr-fips.<region>.amazonaws.com
//	<12 digits>.dkr-ecr.<region>.on.aws                (dual-stack; .on.amazonwebservices.com.cn in China)
//	<12 digits>.dkr-ecr-fips.<region>.on.aws
//	<12 digits>.dkr.ecr.<region>.c2s.ic.gov            (and sc2s.sgov.gov, cloud.adc-e.uk, csp.hci.ic.gov)
//
// The match is case-insensitive and exact: a scheme, a path, a trailing dot or
// any extra label means "not ECR", so a look-alike never receives AWS
// credentials. ECR serves registries on HTTPS port 443 only, so a host may
// carry ":443" (the same registry, written out) but any other port means some
// other server and does not match. ECR Public is not matched here: see IsPublic.
func ParseHost(host string) (Host, bool) {
	name, ok := stripDefaultPort(strings.ToLower(host))
	if !ok {
		return Host{}, false
	}
	m := hostPattern.FindStringSubmatch(name)
	if m == nil {
		return Host{}, false
	}
	h := Host{
		Name:       name,
		RegistryID: m[1],
		FIPS:       m[2] != "",
		Region:     m[3],
		DualStack:  m[4] == "on.aws" || m[4] == "on.amazonwebservices.com.cn",
		Partition:  suffixPartition[m[4]],
	}
	if h.Partition == "" {
		h.Partition = "aws"
		if strings.HasPrefix(h.Region, "us-gov-") {
			h.Partition = "aws-us-gov"
		}
	}
	return h, true
}

// IsPublic reports whether host is ECR Public ("public.ecr.aws", any case,
// optionally with ":443"). Anonymous pulls from it need nothing from this
// package; with configured AWS credentials its password comes from
// ecr-public:GetAuthorizationToken.
func IsPublic(host string) bool {
	name, ok := stripDefaultPort(strings.ToLower(host))
	return ok && name == PublicHost
}

// stripDefaultPort removes ":443" and refuses any other port. A host without a
// port is returned as is.
func stripDefaultPort(host string) (string, bool) {
	if !strings.Contains(host, ":") {
		return host, true
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil || port != "443" {
		return "", false
	}
	return name, true
}
