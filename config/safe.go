package config

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// SafeConfig holds the current configuration for concurrent readers and reloads it,
// keeping the old one when the new file is invalid.
type SafeConfig struct {
	cfg         atomic.Pointer[Config]
	reloadMu    sync.Mutex // one reload at a time (SIGHUP and /-/reload may race)
	success     prometheus.Gauge
	successTime prometheus.Gauge
	now         func() time.Time
}

// NewSafeConfig returns an empty SafeConfig and registers its two gauges with reg
// (unless reg is nil).
func NewSafeConfig(reg prometheus.Registerer) *SafeConfig {
	f := promauto.With(reg) // registers nowhere when reg is nil
	return &SafeConfig{
		success: f.NewGauge(prometheus.GaugeOpts{
			Name: "toggl_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful (1) or not (0).",
		}),
		successTime: f.NewGauge(prometheus.GaugeOpts{
			Name: "toggl_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
		now: time.Now,
	}
}

// Get returns the current configuration, nil before the first successful reload. Treat
// it as immutable: a reload replaces it, never changes it.
func (s *SafeConfig) Get() *Config {
	return s.cfg.Load()
}

// ReloadWith loads the file at path, reading each *_file secret through readFile (nil:
// from disk; --demo's rehearsal of a user's file stands in for secret files that do not
// exist yet). On error it keeps the current configuration, sets the success gauge to 0
// and returns the error. On success it sets the gauge to 1 and the timestamp to now;
// changed is false (and Get keeps returning the very same *Config) when neither the file
// nor any secret file or environment variable it uses has changed.
func (s *SafeConfig) ReloadWith(path string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (changed bool, err error) {
	return s.reload(func() (*Config, error) { return load(path, lookupEnv, readFile) })
}

// ReloadData is ReloadWith for a configuration held in memory (the demo's); relative file
// paths in it are relative to dir.
func (s *SafeConfig) ReloadData(data []byte, dir string, lookupEnv func(string) (string, bool)) (changed bool, err error) {
	return s.reload(func() (*Config, error) { return Parse(data, dir, lookupEnv) })
}

func (s *SafeConfig) reload(load func() (*Config, error)) (changed bool, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()

	cfg, err := load()
	if err != nil {
		s.success.Set(0)
		return false, err
	}
	if old := s.cfg.Load(); old == nil || old.fingerprint != cfg.fingerprint {
		s.cfg.Store(cfg)
		changed = true
	}
	s.success.Set(1)
	s.successTime.Set(float64(s.now().UnixNano()) / 1e9)
	return changed, nil
}
