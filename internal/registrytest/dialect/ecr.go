package dialect

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest/awsapi"
)

// ECRPasswords decides credentials as an ECR registry does with passwords
// from the awsapi stand-in's GetAuthorizationToken (ECR or ECR Public):
// username "AWS" and a password the stand-in issued. One that expired
// (api.ExpireAll, or its TTL) is Expired; anything else Wrong.
func ECRPasswords(api *awsapi.ECR) func(user, password string) Verdict {
	return func(user, password string) Verdict {
		switch {
		case user == "AWS" && api.Valid(password):
			return Valid
		case user == "AWS" && api.Issued(password):
			return Expired
		default:
			return Wrong
		}
	}
}

var ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr`)

// ecrAccount is the registry id a host names, else the stand-in's account.
func ecrAccount(host string) string {
	if m := ecrHost.FindStringSubmatch(host); m != nil {
		return m[1]
	}
	return awsapi.DefaultAccountID
}

// ECR is a private Amazon ECR registry, <account>.dkr.ecr.<region>.amazonaws.com.
// Give it Options{Check: ECRPasswords(api)}.
//
//   - Basic auth on every request, no token service. Challenge: Basic
//     realm="https://<host>/",service="ecr.amazonaws.com"
//     (https://github.com/regclient/regclient/issues/136).
//   - /v2/ without credentials: 401 with a text/plain body "Not
//     Authorized" (https://github.com/mdlavin/copy-docker-image/issues/5).
//   - Repository requests without or with wrong credentials: 401, the
//     challenge and {"errors":[{"code":"DENIED","message":"Not
//     Authorized"}]}. The JSON body is taken from ECR Public's transcripts;
//     no transcript of private ECR's body was found.
//   - Expired password: 403 DENIED "Your authorization token has expired.
//     Reauthenticate and try again." without a challenge
//     (https://github.com/flipt-io/flipt/issues/3043,
//     https://github.com/awslabs/soci-snapshotter/pull/1196).
//   - Missing repository: 404 NAME_UNKNOWN "The repository with name 'X'
//     does not exist in the registry with id 'ACCOUNT'"
//     (https://github.com/aws-actions/amazon-ecr-login/issues/166). Missing
//     tag: 404 MANIFEST_UNKNOWN "Requested image not found"
//     (https://github.com/anchore/syft/issues/982).
//   - Signed-in user without permission: 403
//     (https://github.com/docker-archive/compose-cli/issues/1173); the body
//     is not shown, the front sends DENIED "Not Authorized".
//   - Tags: 100 per page without n, n up to 1000 and a larger n refused
//     with UNSUPPORTED "Invalid parameter at 'maxResults' failed to satisfy
//     constraint: 'Member must have value less than or equal to 1000'"
//     (https://github.com/google/go-containerregistry/issues/681; the
//     status is not shown there; the front answers 400). The answer is
//     text/plain; charset=utf-8, pretty-printed, not in lexical order, and
//     the Link is absolute with only an opaque last
//     (https://github.com/deitch/docker_registry2/issues/34). A last the
//     registry did not issue is refused; no transcript shows the message,
//     so the front words it like the maxResults one.
//   - Blobs: 307 to a presigned S3 URL (prod-<region>-starport-layer-bucket)
//     that refuses an Authorization header with 400
//     (https://github.com/open-policy-agent/opa/issues/6580,
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html).
//   - HEAD misbehaviour (MisbehaveHEAD): manifest answers without
//     Docker-Content-Digest (https://github.com/google/containerregistry/pull/10,
//     2017; https://github.com/distribution/distribution/issues/3792, 2022).
//   - Rate limit: no evidence of ECR's 429 found; the front's generic one.
func ECR() *Dialect {
	notAuthorized := func(c *Call) Reply {
		return withChallenge(c, "", jsonError(http.StatusUnauthorized, jsonUTF8, "DENIED", "Not Authorized"))
	}
	return &Dialect{
		Name:  "ECR",
		Basic: true,
		Challenge: func(c *Call, _, _ string) string {
			return fmt.Sprintf(`Basic realm="https://%s/",service="ecr.amazonaws.com"`, c.Host)
		},
		Ping: func(c *Call) Reply {
			return newReply(http.StatusUnauthorized, textUTF8, "Not Authorized\n", "WWW-Authenticate", c.front.d.Challenge(c, "", ""))
		},
		Unauthorized:  notAuthorized,
		WrongPassword: notAuthorized,
		ExpiredPassword: func(*Call) Reply {
			return jsonError(http.StatusForbidden, jsonUTF8, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
		},
		Denied: func(*Call) Reply {
			return jsonError(http.StatusForbidden, jsonUTF8, "DENIED", "Not Authorized")
		},
		MissingRepo: func(c *Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "NAME_UNKNOWN", fmt.Sprintf(
				"The repository with name '%s' does not exist in the registry with id '%s'", c.Repo, ecrAccount(c.Host)))
		},
		MissingManifest: func(*Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "MANIFEST_UNKNOWN", "Requested image not found")
		},
		Tags: Paging{
			DefaultN: 100,
			MaxN:     1000,
			TooLarge: func(*Call, int) Reply {
				return jsonError(http.StatusBadRequest, jsonUTF8, "UNSUPPORTED",
					"Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'")
			},
			Cursor: CursorOpaque,
			BadCursor: func(*Call) Reply {
				return jsonError(http.StatusBadRequest, jsonUTF8, "UNSUPPORTED",
					"Invalid parameter at 'nextToken' failed to satisfy constraint: 'Member must be a token this registry issued'")
			},
			Link: func(c *Call, _ int, cursor string) string {
				return c.Scheme() + "://" + c.Host + tagsPath(c.Repo) + "?" + url.Values{"last": {cursor}}.Encode()
			},
			Hashed:      true,
			ContentType: textUTF8,
			Indent:      "    ",
		},
		Blobs: Blobs{Redirect: RedirectCDN, CDN: CDNS3},
		HEAD:  NoDigest,
	}
}

// ECRPublic is Amazon ECR Public, public.ecr.aws: a Bearer registry whose
// token service takes AWS:<ecr-public password> (Options{Check:
// ECRPasswords(api)}) or nobody.
//
//   - Without a token: 401 application/json; charset=utf-8
//     {"errors":[{"code":"DENIED","message":"Not Authorized"}]} and Bearer
//     realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws"
//     (a transcript from a public notes file; also
//     https://github.com/lablup/backend.ai/pull/2549, whose 58-byte body
//     matches). scope="aws" was seen on a non-repository path; repository
//     requests get the repository's scope here (not shown anywhere).
//   - An invalid or expired bearer token, and Basic credentials sent to the
//     registry: 400 {"errors":[{"code":"DENIED","message":"Your
//     Authorization Token is invalid."}]} without a challenge
//     (https://github.com/oras-project/oras-go/issues/1227,
//     https://github.com/aws/containers-roadmap/issues/2835,
//     https://github.com/kreuzwerker/terraform-provider-docker/pull/666;
//     lablup/backend.ai#2549's Content-Length 80 is this body).
//   - Token answer {"token": ...}; tokens last an hour (oras-go#1227).
//   - Missing repository: 404 NAME_UNKNOWN "The repository with name
//     'NAME' does not exist in the registry with id 'ALIAS'", the alias
//     being the first path element
//     (https://github.com/aws-samples/amazon-eks-cdk-blue-green-cicd/issues/24).
//   - Wrong credentials at the token service and an unknown tag: not
//     shown; the front answers 401 DENIED "Not Authorized" and ECR's
//     "Requested image not found".
func ECRPublic() *Dialect {
	invalid := func(*Call) Reply {
		return jsonError(http.StatusBadRequest, jsonUTF8, "DENIED", "Your Authorization Token is invalid.")
	}
	notAuthorized := func(c *Call) Reply {
		return withChallenge(c, "", jsonError(http.StatusUnauthorized, jsonUTF8, "DENIED", "Not Authorized"))
	}
	return &Dialect{
		Name: "ECR Public",
		Token: &TokenService{
			Path: "/token/",
			Body: tokenOnly,
			TTL:  time.Hour,
			WrongCredentials: func(*Call) Reply {
				return jsonError(http.StatusUnauthorized, jsonUTF8, "DENIED", "Not Authorized")
			},
		},
		Challenge: func(c *Call, scope, errParam string) string {
			if scope == "" {
				scope = "aws"
			}
			return bearer(c.Realm(), "public.ecr.aws", scope, errParam)
		},
		Ping:            notAuthorized,
		Unauthorized:    notAuthorized,
		Denied:          notAuthorized,
		InvalidToken:    invalid,
		BasicOnRegistry: func(c *Call, _ Verdict) (bool, Reply) { return false, invalid(c) },
		MissingRepo: func(c *Call) Reply {
			alias, name, ok := strings.Cut(c.Repo, "/")
			if !ok {
				alias, name = awsapi.DefaultAccountID, c.Repo
			}
			return jsonError(http.StatusNotFound, jsonUTF8, "NAME_UNKNOWN", fmt.Sprintf(
				"The repository with name '%s' does not exist in the registry with id '%s'", name, alias))
		},
		MissingManifest: func(*Call) Reply {
			return jsonError(http.StatusNotFound, jsonUTF8, "MANIFEST_UNKNOWN", "Requested image not found")
		},
	}
}
