package ecr

import "strings"

// pullThroughPrefixes are the repository prefixes of ECR pull-through cache
// rules that the AWS console and documentation use for each upstream
// registry (Amazon ECR Public, Kubernetes, Quay, Docker Hub, GitHub, GitLab,
// Azure and Chainguard), and the upstream registries' own names, which
// users also pick. A rule's prefix is free text: this recognises the usual
// ones, not every rule.
var pullThroughPrefixes = map[string]bool{
	"ecr-public": true, "kubernetes": true, "k8s": true, "registry-k8s-io": true, "quay": true,
	"docker-hub": true, "dockerhub": true, "github": true, "ghcr": true, "gitlab": true, "azure": true,
	"chainguard": true,
}

// PullThroughPrefix returns the first component of a repository path when
// it is one of the usual prefixes of pull-through cache rules
// ("docker-hub" for "docker-hub/library/nginx"), so that a failed first
// pull can be explained in those terms. ok is false otherwise, and for a
// repository that is the prefix alone (a rule maps prefix/<upstream path>).
func PullThroughPrefix(repository string) (prefix string, ok bool) {
	first, rest, found := strings.Cut(repository, "/")
	if !found || rest == "" || !pullThroughPrefixes[strings.ToLower(first)] {
		return "", false
	}
	return first, true
}

// pullThroughMarks are what ECR's error messages say when a pull through a
// pull-through cache rule failed: the permissions a first pull needs, or
// the rule and its upstream registry.
var pullThroughMarks = []string{"batchimportupstreamimage", "createrepository", "pull through cache", "pull-through cache", "upstream registry"}

// MentionsPullThrough reports whether a registry error message is about a
// pull through a pull-through cache rule.
func MentionsPullThrough(message string) bool {
	m := strings.ToLower(message)
	for _, mark := range pullThroughMarks {
		if strings.Contains(m, mark) {
			return true
		}
	}
	return false
}

// MissingPermission returns the IAM action an error message says was
// denied, among those a pull-through cache's first pull needs, or "".
func MissingPermission(message string) string {
	for _, action := range []string{"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"} {
		if strings.Contains(strings.ToLower(message), strings.ToLower(action)) {
			return action
		}
	}
	return ""
}
