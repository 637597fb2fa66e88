package registrytest

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// ConnectProxy is an HTTP CONNECT proxy on 127.0.0.1 that maps host:port
// names to local addresses. With HTTPS_PROXY pointing at it, a client can
// speak to "123456789012.dkr.ecr.us-east-1.amazonaws.com" and reach a
// registry on loopback: the name is never resolved and no traffic leaves the
// machine, since a name without a route is refused, never dialled. With
// HTTP_PROXY pointing at it too, plain-HTTP requests for a routed name are
// forwarded the same way, and every plain-HTTP request is recorded in Plain.
type ConnectProxy struct {
	// URL is "http://127.0.0.1:PORT", for HTTPS_PROXY and HTTP_PROXY.
	URL string
	// Plain records every plain-HTTP request the proxy received, routed or
	// not, headers included (SawSecret sees credentials sent in the clear).
	Plain *RequestLog

	mu      sync.Mutex
	routes  map[string]string
	targets []string
	plain   http.Handler
	// transport forwards plain-HTTP requests; closed with the proxy.
	transport *http.Transport
	ln        net.Listener
	wg        sync.WaitGroup
	conns     map[net.Conn]bool
	closed    bool
}

// NewConnectProxy starts a proxy with no routes; t.Cleanup stops it.
func NewConnectProxy(t testing.TB) *ConnectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &ConnectProxy{URL: "http://" + ln.Addr().String(), Plain: &RequestLog{}, routes: map[string]string{}, ln: ln, conns: map[net.Conn]bool{}}
	p.plain = p.Plain.middleware(http.HandlerFunc(p.forwardPlain), false)
	p.transport = &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		p.transport.CloseIdleConnections()
		// Hijacked tunnels are not the server's any more: end them here.
		p.mu.Lock()
		p.closed = true
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Route sends CONNECTs for hostport ("name:443") to addr ("127.0.0.1:PORT").
func (p *ConnectProxy) Route(hostport, addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.routes[hostport] = addr
}

// Targets lists every host:port asked for, by CONNECT or in a plain-HTTP
// request, routed or not.
func (p *ConnectProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func (p *ConnectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		p.plain.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	addr, ok := p.routes[r.Host]
	p.mu.Unlock()
	if !ok {
		http.Error(w, "no route for "+r.Host, http.StatusBadGateway)
		return
	}
	upstream, err := net.Dial("tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	if !p.track(client, upstream) {
		return
	}
	defer p.untrack(client, upstream)
	var done sync.WaitGroup
	done.Add(2)
	go func() {
		defer done.Done()
		_, _ = io.Copy(upstream, buf)
		if c, ok := upstream.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
	}()
	go func() {
		defer done.Done()
		_, _ = io.Copy(client, upstream)
		if c, ok := client.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
	}()
	done.Wait()
	client.Close()
	upstream.Close()
}

// track registers a tunnel's connections so that Cleanup can end them; it
// refuses, closing them, once the proxy is closed.
func (p *ConnectProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *ConnectProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}
