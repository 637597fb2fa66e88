package ecr

import "testing"

func TestPullThroughPrefix(t *testing.T) {
	for repo, want := range map[string]string{
		"docker-hub/library/nginx":      "docker-hub",
		"ecr-public/nginx/nginx":        "ecr-public",
		"quay/prometheus/node-exporter": "quay",
		"kubernetes/pause":              "kubernetes",
		"registry-k8s-io/pause":         "registry-k8s-io",
		"github/o/app":                  "github",
		"ghcr/o/app":                    "ghcr",
		"gitlab/g/p/app":                "gitlab",
		"azure/team/app":                "azure",
		"Docker-Hub/library/nginx":      "Docker-Hub",
		"team/app":                      "",
		"docker-hub":                    "",
		"docker-hub/":                   "",
		"my-docker-hub/nginx":           "",
		"app":                           "",
	} {
		got, ok := PullThroughPrefix(repo)
		if got != want || ok != (want != "") {
			t.Errorf("PullThroughPrefix(%q) = %q, %v; want %q", repo, got, ok, want)
		}
	}
}

func TestPullThroughMessages(t *testing.T) {
	for msg, want := range map[string]struct {
		mentions   bool
		permission string
	}{
		"User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: ecr:BatchImportUpstreamImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/library/nginx": {true, "ecr:BatchImportUpstreamImage"},
		"User: arn:aws:iam::123456789012:user/u is not authorized to perform: ecr:CreateRepository":                                                                                                        {true, "ecr:CreateRepository"},
		"The authentication to the upstream registry failed. Verify that the credentials provided in the pull through cache rule are correct":                                                              {true, ""},
		"The repository with name 'team/app' does not exist in the registry with id '123456789012'":                                                                                                        {false, ""},
		"Requested image not found": {false, ""},
	} {
		if got := MentionsPullThrough(msg); got != want.mentions {
			t.Errorf("MentionsPullThrough(%q) = %v", msg, got)
		}
		if got := MissingPermission(msg); got != want.permission {
			t.Errorf("MissingPermission(%q) = %q, want %q", msg, got, want.permission)
		}
	}
}
