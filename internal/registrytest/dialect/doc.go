// Package dialect serves real registries' dialects in front of a
// registrytest registry, for tests of how a client copes with them: their
// challenges, token services, error bodies, tag paging, blob redirects,
// rate limits and broken HEADs, each as public issue threads, documentation
// and source show them. Every behaviour cites its evidence beside the
// dialect constructor (DockerHub, GHCR, ECR, ECRPublic, Google, ACR, Quay,
// QuayLegacy, Harbor, GitLab, Artifactory, Nexus); where evidence was thin
// the comment says what was assumed.
//
// # How a front works
//
// New starts a registrytest.Registry without authentication and puts the
// front before it as Options.Wrap: the front alone authenticates, issues
// and checks tokens, decides who may read what, rewrites distribution's
// errors into the dialect's and pages tag lists itself. Fixtures pushed
// with the registry's helpers bypass the front. A token service on another
// host (Docker Hub, GitLab) is a registrytest.Origin named localhost
// (go-containerregistry refuses other loopback realms), and so is the CDN
// that blob redirects point to.
//
// What each server received is in its RequestLog: Front.Requests (the
// registry host, with the status the front answered), Front.TokenRequests
// and Front.CDNRequests.
//
// # Setting up each situation
//
//		f := dialect.New(t, dialect.DockerHub(), dialect.Options{
//			Users:  map[string]string{"alice": "s3cret"},
//			Public: []string{"library/*"},
//		})
//		img, _ := f.Registry.PushImage(ctx, "library/app:1") // public
//		_, _ = f.Registry.PushImage(ctx, "alice/private:1")  // private
//		ref := f.Reference("library/app:1")                  // "127.0.0.1:PORT/library/app:1"
//
//	  - public read: anonymous pull of a repository in Options.Public or
//	    Front.Public.
//	  - private read with credentials: any user of Options.Users (or
//	    Options.Check, e.g. ECRPasswords(api) for ECR); Front.Restrict limits
//	    a repository to some users; Front.RefreshToken mints identity tokens.
//	  - missing repository, missing tag: ask for one that was never pushed.
//	  - wrong credentials: a wrong password; expired ones: Front.Expire(user)
//	    (or the awsapi stand-in's ExpireAll for ECR); expired bearer tokens:
//	    Front.ExpireTokens.
//	  - no credentials on a private repository: pull it anonymously.
//	  - rate limit: Front.RateLimit(n), Front.RateLimitWith(n, reply) (e.g.
//	    DockerHubAbuseLimit); Docker Hub's pull quota: Front.SetQuota.
//	  - tag paging: Front.PushTags(ctx, repo, tags...) and list with n (or
//	    without, for registries that page by default).
//	  - redirected config blob: Front.RedirectBlobs(RedirectCDN) (another
//	    host) or RedirectRelative (a relative Location on the registry host);
//	    dialects that redirect in real life start so.
//	  - misbehaving HEAD: Front.MisbehaveHEAD() for the dialect's own, or
//	    Front.SetHEAD(quirk) for any HeadQuirk.
//	  - Accept header without the stored manifest type: push an OCI index
//	    and ask without application/vnd.oci.image.index.v1+json.
package dialect
