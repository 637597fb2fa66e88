package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

const (
	// TagPageSize is the page size asked for (the `n` parameter). Registries
	// may answer with fewer tags and a Link to the next page; every page is
	// read.
	TagPageSize = 1000
	// maxTagPages bounds the pages read for one repository, so that a
	// registry whose Link headers never end cannot hold a plan forever.
	maxTagPages = 10000
	// maxTagPageSize bounds one page's body.
	maxTagPageSize = 16 << 20
)

// Tags lists every tag of ref's repository (ref's tag and digest are
// ignored), following the Link header from page to page, in the order the
// registry gives them, without repeats. A repository the registry does not
// know (NAME_UNKNOWN) has no tags: distribution answers so for a repository
// that holds only untagged manifests, and ECR, GHCR and others for one that
// does not exist yet.
func (c *Client) Tags(ctx context.Context, ref imageref.Reference) ([]string, error) {
	return run(ctx, c, ref, "", func(ctx context.Context, s *session) ([]string, error) {
		return c.listTags(ctx, ref, s, c.tagPageSize())
	})
}

func (c *Client) tagPageSize() int {
	if c.opts.TagPageSize > 0 {
		return c.opts.TagPageSize
	}
	return TagPageSize
}

type tagPage struct {
	Tags []string `json:"tags"`
}

func (c *Client) listTags(ctx context.Context, ref imageref.Reference, s *session, pageSize int) ([]string, error) {
	first, err := url.Parse(c.v2URL(ref, fmt.Sprintf("tags/list?n=%d", pageSize)))
	if err != nil {
		return nil, err
	}
	tags := []string{}
	seenTag := map[string]bool{}
	seenPage := map[string]bool{}
	next := first
	for page := 0; next != nil; page++ {
		if page >= maxTagPages {
			return nil, malformedf("the tag list goes on for more than %d pages", maxTagPages)
		}
		if seenPage[next.String()] {
			return nil, malformedf("the tag list links back to a page already read (%s)", next.Redacted())
		}
		seenPage[next.String()] = true
		var pageTags []string
		var unknown bool
		pageTags, next, unknown, err = c.tagPage(ctx, s, first, next)
		if err != nil {
			return nil, err
		}
		if unknown {
			if page == 0 {
				return []string{}, nil
			}
			return nil, malformedf("the repository became unknown to the registry while its tags were listed")
		}
		for _, t := range pageTags {
			if !seenTag[t] {
				seenTag[t] = true
				tags = append(tags, t)
			}
		}
	}
	return tags, nil
}

// tagPage reads one page of the tag list. unknown reports a NAME_UNKNOWN
// answer; next is the following page, nil on the last.
func (c *Client) tagPage(ctx context.Context, s *session, first, u *url.URL) (tags []string, next *url.URL, unknown bool, err error) {
	resp, err := c.get(ctx, s, u.String(), "application/json")
	if err != nil {
		return nil, nil, false, err
	}
	defer resp.Body.Close()
	if err := checkAnswer(resp); err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			for _, d := range terr.Errors {
				if d.Code == transport.NameUnknownErrorCode {
					return nil, nil, true, nil
				}
			}
		}
		return nil, nil, false, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTagPageSize+1))
	if err != nil {
		return nil, nil, false, err
	}
	if len(body) > maxTagPageSize {
		return nil, nil, false, malformedf("a page of the tag list is more than %d bytes", maxTagPageSize)
	}
	var p tagPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, nil, false, malformedf("the tag list is not valid JSON: %w", err)
	}
	next, err = nextPage(resp, first, u, "tag list")
	if err != nil {
		return nil, nil, false, err
	}
	return p.Tags, next, false, nil
}

// nextPage is the page after u of a paged list (what names it in errors)
// whose first page is first: the target of the answer's Link rel="next",
// nil on the last page. A relative link is relative to the page that gave
// it, and a link to another origin is refused: credentials go only to the
// registry.
func nextPage(resp *http.Response, first, u *url.URL, what string) (*url.URL, error) {
	link, err := nextLink(resp.Header.Values("Link"))
	if err != nil || link == "" {
		return nil, err
	}
	base := u
	if resp.Request != nil && resp.Request.URL != nil {
		base = resp.Request.URL
	}
	next, err := base.Parse(link)
	if err != nil {
		return nil, malformedf("the %s's Link header %q is not a URL: %w", what, link, err)
	}
	if next.Scheme != first.Scheme || !strings.EqualFold(next.Host, first.Host) {
		return nil, malformedf("the %s's next page is on %s://%s, not on the registry %s://%s", what, next.Scheme, next.Host, first.Scheme, first.Host)
	}
	// The next page is a page of the same list: what the Link chooses is its
	// query (the registry's own cursor, whatever it is named). Artifactory's
	// Link drops the repository key from the path (RTFACT-18971), which
	// would list another repository, or fail.
	if next.Path != first.Path {
		next = &url.URL{Scheme: first.Scheme, Host: first.Host, Path: first.Path, RawPath: first.RawPath, RawQuery: next.RawQuery}
	}
	return next, nil
}

// nextLink finds the target of rel="next" in Link header values (RFC 8288):
// `<url>; rel="next"`, possibly among other links and parameters.
func nextLink(values []string) (string, error) {
	for _, v := range values {
		rest := v
		for {
			rest = strings.TrimLeft(rest, " \t,")
			if rest == "" {
				break
			}
			if rest[0] != '<' {
				return "", malformedf("the Link header %q is not <url>; rel=\"next\"", v)
			}
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return "", malformedf("the Link header %q is not <url>; rel=\"next\"", v)
			}
			target := rest[1:end]
			rest = rest[end+1:]
			// Parameters run to the next ',' outside quotes.
			params, after := splitParams(rest)
			rest = after
			for _, p := range params {
				name, value, _ := strings.Cut(p, "=")
				if !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				value = strings.Trim(strings.TrimSpace(value), `"`)
				for _, rel := range strings.Fields(value) {
					if strings.EqualFold(rel, "next") {
						return target, nil
					}
				}
			}
		}
	}
	return "", nil
}

// splitParams splits `; a=b; c="d,e", <next>` into its parameters and what
// follows the ',' that ends them.
func splitParams(s string) (params []string, rest string) {
	inQuotes := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuotes = !inQuotes
		case ';':
			if !inQuotes {
				if p := strings.TrimSpace(s[start:i]); p != "" {
					params = append(params, p)
				}
				start = i + 1
			}
		case ',':
			if !inQuotes {
				if p := strings.TrimSpace(s[start:i]); p != "" {
					params = append(params, p)
				}
				return params, s[i+1:]
			}
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		params = append(params, p)
	}
	return params, ""
}
