package validators

import (
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/tagfilter"
)

// Repository accepts a repository name as `docker pull` reads it, without a
// tag or digest.
func Repository() validator.String {
	return stringCheck{
		description: "must be a repository such as nginx or ghcr.io/o/app, without a tag or digest",
		summary:     "Invalid Repository",
		check: func(s string) error {
			_, err := imageref.ParseRepository(s)
			return err
		},
	}
}

// Platform accepts os/arch[/variant], such as linux/arm64/v8.
func Platform() validator.String {
	return stringCheck{
		description: "must be a platform os/arch[/variant], such as linux/amd64 or linux/arm64/v8",
		summary:     "Invalid Platform",
		check: func(s string) error {
			_, err := platform.Parse(s)
			return err
		},
	}
}

// Regexp accepts an RE2 regular expression.
func Regexp() validator.String {
	return stringCheck{
		description: "must be an RE2 regular expression",
		summary:     "Invalid Regular Expression",
		check: func(s string) error {
			_, err := tagfilter.ParseMatch(s)
			return err
		},
	}
}

// SemverConstraint accepts a semantic-version constraint such as ">= 1.25, < 2".
func SemverConstraint() validator.String {
	return stringCheck{
		description: `must be a version constraint such as ">= 1.25, < 2" or "~1.27"`,
		summary:     "Invalid Version Constraint",
		check: func(s string) error {
			_, err := tagfilter.ParseConstraint(s)
			return err
		},
	}
}
