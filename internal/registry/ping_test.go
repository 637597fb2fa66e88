package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// schemeCounter counts the requests that reach the network, by scheme.
func newSchemeCounter(t *testing.T) *schemeCounter {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &schemeCounter{inner: tr, n: map[string]int{}}
}

type schemeCounter struct {
	inner http.RoundTripper
	mu    sync.Mutex
	n     map[string]int
}

func (c *schemeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[req.URL.Scheme]++
	c.mu.Unlock()
	return c.inner.RoundTrip(req)
}

// TestPingCacheKeepsPlainTextAnswers: go-containerregistry pings a loopback
// registry over HTTPS and plain HTTP at once, for every repository. Against
// a plain-HTTP registry, the HTTPS attempt fails in the handshake: that
// answer is kept like the plain-HTTP one, so that each scheme is tried once
// per run, not once per repository.
func TestPingCacheKeepsPlainTextAnswers(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.AuthToken, Users: map[string]string{user: password}})
	counter := newSchemeCounter(t)
	pings := newPingCache(counter)
	r, err := name.NewRegistry(reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		ch, err := transport.Ping(context.Background(), r, pings)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Scheme != "bearer" {
			t.Fatalf("challenge %+v", ch)
		}
	}
	if counter.n["https"] != 1 || counter.n["http"] != 1 {
		t.Errorf("requests sent by scheme: %v; want one each", counter.n)
	}
	// The kept failure is the handshake's own error.
	req, _ := http.NewRequest(http.MethodGet, "https://"+reg.Host+"/v2/", nil)
	_, err = pings.RoundTrip(req)
	if _, ok := errors.AsType[tls.RecordHeaderError](err); !ok {
		t.Errorf("the kept HTTPS answer: %v; want a TLS record header error", err)
	}
	if counter.n["https"] != 1 {
		t.Errorf("HTTPS pings sent: %d; want 1", counter.n["https"])
	}
}

// TestPingCacheForgetsOtherFailures: a failure that says nothing about the
// scheme (here, nothing listening) is not kept: the next ping goes out.
func TestPingCacheForgetsOtherFailures(t *testing.T) {
	counter := newSchemeCounter(t)
	pings := newPingCache(counter)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/v2/", nil)
		if _, err := pings.RoundTrip(req); err == nil {
			t.Fatal("a ping to a closed port succeeded")
		}
	}
	if counter.n["https"] != 2 {
		t.Errorf("pings sent: %d; want 2", counter.n["https"])
	}
}
