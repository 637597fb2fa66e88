package registrytest

import (
	"log/slog"
	"net/http"
	"net/http/httputil"
)

// forwardPlain forwards a plain-HTTP proxy request ("GET http://name:port/…")
// to the address its host is routed to, or answers 502 when there is none:
// nothing is ever dialled by name.
func (p *ConnectProxy) forwardPlain(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Host
	if host == "" {
		host = r.Host
	}
	p.mu.Lock()
	p.targets = append(p.targets, host)
	addr, ok := p.routes[host]
	p.mu.Unlock()
	if !ok {
		http.Error(w, "no route for "+host, http.StatusBadGateway)
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", addr
			pr.Out.Host = host
		},
		Transport: p.transport,
		ErrorLog:  slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	rp.ServeHTTP(w, r)
}
