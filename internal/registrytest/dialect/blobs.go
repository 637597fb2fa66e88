package dialect

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Redirect is how blob downloads are answered.
type Redirect int

const (
	// RedirectNone serves blobs from the registry itself.
	RedirectNone Redirect = iota
	// RedirectCDN redirects to a signed URL on the CDN origin (another
	// host: "localhost" and another port).
	RedirectCDN
	// RedirectRelative redirects to a relative Location on the registry's
	// own host (Google Artifact Registry's /artifacts-downloads/...).
	RedirectRelative
)

// CDNFlavor is how the storage behind a redirect answers.
type CDNFlavor int

const (
	// CDNPlain serves any request with a valid signature.
	CDNPlain CDNFlavor = iota
	// CDNS3 is Amazon S3 with a presigned GET URL: a request that also
	// carries an Authorization header gets 400 InvalidArgument, and any
	// method but GET gets 403, as the signature covers the method.
	CDNS3
	// CDNAzure is Azure Blob Storage with a SAS URL: an Authorization
	// header gets 400 InvalidAuthenticationInfo.
	CDNAzure
	// CDNCloudflare is Docker Hub's production.cloudflare.docker.com with a
	// ?verify= signature.
	CDNCloudflare
)

// Blobs configures blob downloads.
type Blobs struct {
	// Redirect is the front's initial mode (RedirectBlobs changes it).
	Redirect Redirect
	// Status of the redirect; default 307.
	Status int
	// CDN is the flavor of the storage redirected to.
	CDN CDNFlavor
	// Header is sent with the redirect.
	Header http.Header
	// RelativePrefix is where relative redirects point; default
	// "/_blobs/".
	RelativePrefix string
}

// RedirectBlobs sets how blob GETs are answered from now on.
func (f *Front) RedirectBlobs(r Redirect) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redirect = r
}

// signedURL is what a signature on the CDN stands for.
type signedURL struct {
	repo, ref, kind, method string
	expires                 time.Time
}

func (f *Front) relativePrefix() string {
	if p := f.d.Blobs.RelativePrefix; p != "" {
		return p
	}
	return "/_blobs/"
}

func (f *Front) isRelativeBlobPath(p string) bool {
	return strings.HasPrefix(p, f.relativePrefix())
}

// sign records a signature for GET (or method) of c's blob or manifest and
// returns the URL the flavor would use: absolute on the CDN, or relative
// on the registry host for RedirectRelative.
func (f *Front) sign(c *Call, kind, method string, relative bool) string {
	sig := randomString(43)
	exp := time.Now().Add(20 * time.Minute)
	f.mu.Lock()
	f.signed[sig] = signedURL{repo: c.Repo, ref: c.Ref, kind: kind, method: method, expires: exp}
	f.mu.Unlock()
	if relative {
		return f.relativePrefix() + sig
	}
	hex := strings.TrimPrefix(c.Ref, "sha256:")
	if len(hex) < 2 {
		hex = "00" + hex
	}
	path := fmt.Sprintf("/docker/registry/v2/blobs/sha256/%s/%s/data", hex[:2], hex)
	q := url.Values{}
	switch f.d.Blobs.CDN {
	case CDNS3:
		now := time.Now().UTC()
		q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
		q.Set("X-Amz-Credential", "ASIAREGISTRYTEST/"+now.Format("20060102")+"/us-east-1/s3/aws4_request")
		q.Set("X-Amz-Date", now.Format("20060102T150405Z"))
		q.Set("X-Amz-Expires", "1200")
		q.Set("X-Amz-SignedHeaders", "host")
		q.Set("X-Amz-Signature", sig)
	case CDNAzure:
		q.Set("sv", "2021-08-06")
		q.Set("se", exp.UTC().Format(time.RFC3339))
		q.Set("sr", "b")
		q.Set("sp", "r")
		q.Set("sig", sig)
	case CDNCloudflare:
		path = "/registry-v2" + path
		q.Set("verify", fmt.Sprintf("%d-%s", exp.Unix(), sig))
	default:
		return f.CDN.URL + "/blobs/" + sig
	}
	return f.CDN.URL + path + "?" + q.Encode()
}

// signURL is sign for the front's current redirect mode.
func (f *Front) signURL(c *Call, kind, method string) string {
	f.mu.Lock()
	relative := f.redirect == RedirectRelative
	f.mu.Unlock()
	return f.sign(c, kind, method, relative)
}

func (f *Front) serveBlob(c *Call, w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	mode := f.redirect
	f.mu.Unlock()
	if r.Method != http.MethodGet || mode == RedirectNone {
		f.forward(w, r)
		return
	}
	if head := f.inner(r.Context(), http.MethodHead, r.URL.Path, ""); head.Code != http.StatusOK {
		f.forward(w, r)
		return
	}
	status := f.d.Blobs.Status
	if status == 0 {
		status = http.StatusTemporaryRedirect
	}
	rep := newReply(status, "", "", "Location", f.sign(c, "blobs", http.MethodGet, mode == RedirectRelative))
	for k, v := range f.d.Blobs.Header {
		rep = rep.with(k, v[0])
	}
	rep.write(w, r.Method)
}

// signatureOf finds the signature in a signed URL of the front's flavor.
func (f *Front) signatureOf(r *http.Request) string {
	if f.isRelativeBlobPath(r.URL.Path) {
		return strings.TrimPrefix(r.URL.Path, f.relativePrefix())
	}
	q := r.URL.Query()
	switch f.d.Blobs.CDN {
	case CDNS3:
		return q.Get("X-Amz-Signature")
	case CDNAzure:
		return q.Get("sig")
	case CDNCloudflare:
		_, sig, _ := strings.Cut(q.Get("verify"), "-")
		return sig
	default:
		return strings.TrimPrefix(r.URL.Path, "/blobs/")
	}
}

// serveSigned serves the CDN origin and relative redirect targets.
func (f *Front) serveSigned(w http.ResponseWriter, r *http.Request) {
	relative := f.isRelativeBlobPath(r.URL.Path)
	f.mu.Lock()
	s, ok := f.signed[f.signatureOf(r)]
	f.mu.Unlock()
	flavor := f.d.Blobs.CDN
	if relative {
		flavor = CDNPlain
	}
	if rep, refused := cdnRefusal(flavor, r, s, ok); refused {
		rep.write(w, r.Method)
		return
	}
	rec := f.inner(r.Context(), http.MethodGet, "/v2/"+s.repo+"/"+s.kind+"/"+s.ref, everyManifestType)
	if rec.Code != http.StatusOK {
		newReply(http.StatusNotFound, textUTF8, "not found\n").write(w, r.Method)
		return
	}
	ct := "application/octet-stream"
	if s.kind == "manifests" {
		ct = rec.Header().Get("Content-Type")
	}
	newReply(http.StatusOK, ct, rec.Body.String(), "ETag", `"`+strings.TrimPrefix(s.ref, "sha256:")+`"`).write(w, r.Method)
}

// cdnRefusal is what the storage answers to a request it refuses.
func cdnRefusal(flavor CDNFlavor, r *http.Request, s signedURL, known bool) (Reply, bool) {
	authz := r.Header.Get("Authorization")
	switch flavor {
	case CDNS3:
		if authz != "" {
			// https://github.com/renovatebot/renovate/issues/3877 and
			// https://github.com/open-policy-agent/opa/issues/6580: S3
			// echoes the header back in ArgumentValue.
			return newReply(http.StatusBadRequest, xmlType, s3Error("InvalidArgument",
				"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
				"<ArgumentName>Authorization</ArgumentName><ArgumentValue>"+xmlEscape(authz)+"</ArgumentValue>")), true
		}
		if !known || r.Method != s.method {
			// A presigned URL covers its method: HEAD on a GET URL is
			// 403 (https://github.com/containerd/stargz-snapshotter/pull/167,
			// https://github.com/moby/moby/issues/50065). The code is
			// S3's for a signature mismatch; no transcript showed it.
			return newReply(http.StatusForbidden, xmlType, s3Error("SignatureDoesNotMatch",
				"The request signature we calculated does not match the signature you provided. Check your key and signing method.", "")), true
		}
	case CDNAzure:
		if authz != "" {
			// https://github.com/Azure/acr/issues/217 and
			// https://github.com/Azure/iothub-explorer/issues/58.
			return newReply(http.StatusBadRequest, xmlType, `<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code>`+
				"<Message>Authentication information is not given in the correct format. Check the value of Authorization header.\nRequestId:"+randomString(8)+
				"\nTime:"+time.Now().UTC().Format(time.RFC3339Nano)+"</Message></Error>", "x-ms-error-code", "InvalidAuthenticationInfo"), true
		}
	}
	if !known || time.Now().After(s.expires) {
		return newReply(http.StatusForbidden, textUTF8, "403 Forbidden\n"), true
	}
	return Reply{}, false
}

func s3Error(code, msg, extra string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + msg + "</Message>" +
		extra + "<RequestId>" + strings.ToUpper(randomString(16)) + "</RequestId><HostId>" + randomString(56) + "</HostId></Error>"
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
