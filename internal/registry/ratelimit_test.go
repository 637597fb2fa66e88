package registry

import (
	"net/http"
	"testing"
	"time"
)

// TestParseRateLimit reads Docker Hub's headers and refuses what does not
// parse, rather than warning about numbers that were never sent.
func TestParseRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name, limit, remaining string
		want                   RateLimit
		ok, low                bool
	}{
		{"docker hub", "100;w=21600", "76;w=21600", RateLimit{Limit: 100, Remaining: 76, Window: 6 * time.Hour, Policy: "100;w=21600"}, true, false},
		{"nearly used up", "100;w=21600", "9;w=21600", RateLimit{Limit: 100, Remaining: 9, Window: 6 * time.Hour, Policy: "100;w=21600"}, true, true},
		{"exactly 10%", "200;w=21600", "20;w=21600", RateLimit{Limit: 200, Remaining: 20, Window: 6 * time.Hour, Policy: "200;w=21600"}, true, false},
		{"no window", "100", "0", RateLimit{Limit: 100, Remaining: 0, Policy: "100"}, true, true},
		{"spaces", " 100 ; w=60", " 5 ", RateLimit{Limit: 100, Remaining: 5, Window: time.Minute, Policy: "100 ; w=60"}, true, true},
		{"none", "", "", RateLimit{}, false, false},
		{"only limit", "100;w=21600", "", RateLimit{}, false, false},
		{"not a number", "lots", "5", RateLimit{}, false, false},
		{"negative", "100", "-1", RateLimit{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.limit != "" {
				h.Set("RateLimit-Limit", tc.limit)
			}
			if tc.remaining != "" {
				h.Set("ratelimit-remaining", tc.remaining)
			}
			got, ok := parseRateLimit(h)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("parseRateLimit = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
			if ok && got.Low() != tc.low {
				t.Errorf("Low() = %v, want %v", got.Low(), tc.low)
			}
		})
	}
}
