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

type cacheKey struct {
	host string
	cfg  configKey
	// client is Config.HTTPClient when its type is comparable; two configs
	// with different clients get different Sources.
	client any
}

// configKey is Config without its HTTPClient.
type configKey struct {
	region, registryID, profile, accessKey, secretKey, sessionToken string
	roleARN, externalID, sessionName, endpoint, stsEndpoint         string
}

// Source returns the Source for (cfg, host), creating it on first use. Hosts
// are compared case-insensitively and with ":443" removed. A Config whose
// HTTPClient is of a non-comparable type is never shared.
func (c *Cache) Source(cfg Config, host string) (*Source, error) {
	name := strings.ToLower(host)
	if n, ok := stripDefaultPort(name); ok {
		name = n
	}
	key := cacheKey{host: name, cfg: configKey{
		cfg.Region, cfg.RegistryID, cfg.Profile, cfg.AccessKey, cfg.SecretKey, cfg.SessionToken,
		cfg.RoleARN, cfg.ExternalID, cfg.SessionName, cfg.Endpoint, cfg.STSEndpoint,
	}}
	if cfg.HTTPClient != nil {
		if !reflect.TypeOf(cfg.HTTPClient).Comparable() {
			return NewSource(cfg, host)
		}
		key.client = cfg.HTTPClient
	}

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
