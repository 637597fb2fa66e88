package registrytest

import "net/url"

// TokenHost is the host:port of the token realm ("localhost:PORT2"), or ""
// without AuthToken. It is another host than Host: a client that keeps a
// registry's TLS settings to that registry's host:port needs settings of
// its own for it, with TLS (the certificate is signed by CAPEM's CA).
func (r *Registry) TokenHost() string {
	u, err := url.Parse(r.TokenURL)
	if err != nil {
		return ""
	}
	return u.Host
}
