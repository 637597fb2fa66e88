package logenv

import (
	"maps"
	"os"
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

// TestOff: Off says whether Quiet turned the loggers off in this process.
func TestOff(t *testing.T) {
	vars := []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_IMAGEINFO"}
	reset := func() {
		for _, v := range vars {
			t.Setenv(v, "")
		}
	}
	reset()
	Quiet(true)
	if Off() {
		t.Error("a debug session's loggers are off")
	}
	Quiet(false)
	if !Off() || os.Getenv("TF_LOG_SDK") != "off" {
		t.Errorf("with nothing set: Off() = %v, TF_LOG_SDK=%q", Off(), os.Getenv("TF_LOG_SDK"))
	}
	reset()
	t.Setenv("TF_LOG", "debug")
	Quiet(false)
	if Off() {
		t.Error("with TF_LOG=debug the loggers are off")
	}
}
