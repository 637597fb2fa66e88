package logenv

import (
	"maps"
	"testing"
)

// TestQuietLogEnv: the provider's loggers are turned off only when Terraform
// would discard what they write and no logger was given a level.
func TestQuietLogEnv(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK": "off", "TF_LOG_PROVIDER_IMAGEINFO": "off"}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		debug bool
		want  map[string]string
	}{
		{name: "nothing set", want: off},
		{name: "TF_LOG off", env: map[string]string{"TF_LOG": "OFF"}, want: off},
		{name: "TF_LOG trace", env: map[string]string{"TF_LOG": "trace"}},
		{name: "TF_LOG_PROVIDER debug", env: map[string]string{"TF_LOG_PROVIDER": "debug"}},
		{name: "TF_LOG_SDK_FRAMEWORK set", env: map[string]string{"TF_LOG_SDK_FRAMEWORK": "warn"}},
		{name: "TF_LOG_PROVIDER_IMAGEINFO set", env: map[string]string{"TF_LOG_PROVIDER_IMAGEINFO": "info"}},
		{name: "debug session", debug: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := quietLogEnv(func(k string) string { return tc.env[k] }, tc.debug)
			if len(tc.want) == 0 && len(got) == 0 {
				return
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("quietLogEnv = %v, want %v", got, tc.want)
			}
		})
	}
}
