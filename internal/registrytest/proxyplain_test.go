package registrytest

import (
	"net/http"
	"net/url"
	"testing"
)

// TestConnectProxyForwardsPlainHTTP: a plain-HTTP proxy request for a routed
// name reaches the address it is routed to and is recorded with its
// credentials; one for a name without a route is answered 502 and recorded,
// never dialled.
func TestConnectProxyForwardsPlainHTTP(t *testing.T) {
	reg := New(t, Options{})
	p := NewConnectProxy(t)
	p.Route("10.9.9.9:5000", reg.Host)
	proxyURL, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for target, want := range map[string]int{"http://10.9.9.9:5000/v2/": http.StatusOK, "http://10.9.9.8:5000/v2/": http.StatusBadGateway} {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		req.SetBasicAuth("u", "plain-secret")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", target, resp.StatusCode, want)
		}
	}
	if n := reg.Count(http.MethodGet, "/v2/"); n != 1 {
		t.Errorf("the registry received %d pings, want the routed one", n)
	}
	if n := len(p.Plain.All()); n != 2 || !p.Plain.SawSecret("plain-secret") {
		t.Errorf("the proxy recorded %d plain-HTTP requests (credentials seen: %v), want 2 with them", n, p.Plain.SawSecret("plain-secret"))
	}
	if got := p.Targets(); len(got) != 2 {
		t.Errorf("targets %v, want both names", got)
	}
}
