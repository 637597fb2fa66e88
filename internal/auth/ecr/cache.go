package ecr

import (
	"reflect"
	"strings"
	"sync"
)

// Cache shares one Source per registry host and credential configuration, so
// that every data source of a provider instance reuses the same password and
// in-flight call. The zero Cache is ready to use and safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	sources map[cacheKey]*Source
}

// cacheKey is the host and the whole Config: every setting decides which
// password a Source fetches, so none may be left out. The HTTPClient is
// part of it when its type is comparable; two configs with different
// clients get different Sources.
type cacheKey struct {
	host string
	cfg  Config
}

// Source returns the Source for (cfg, host), creating it on first use. Hosts
// are compared case-insensitively and with ":443" removed. A Config whose
// HTTPClient is of a non-comparable type is never shared.
func (c *Cache) Source(cfg Config, host string) (*Source, error) {
	name := strings.ToLower(host)
	if n, ok := stripDefaultPort(name); ok {
		name = n
	}
	if cfg.HTTPClient != nil && !reflect.TypeOf(cfg.HTTPClient).Comparable() {
		return NewSource(cfg, host)
	}
	key := cacheKey{host: name, cfg: cfg}

	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sources[key]; ok {
		return s, nil
	}
	s, err := NewSource(cfg, host)
	if err != nil {
		return nil, err
	}
	if c.sources == nil {
		c.sources = make(map[cacheKey]*Source)
	}
	c.sources[key] = s
	return s, nil
}
