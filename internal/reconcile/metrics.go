package reconcile

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the controller's Prometheus series, on their own registry so
// /metrics shows exactly what Atrium documents (plus Go and process stats).
type metrics struct {
	reg           *prometheus.Registry
	reloads       *prometheus.CounterVec
	lastReloadOK  prometheus.Gauge
	configHash    prometheus.Gauge
	syncDuration  prometheus.Histogram
	syncs         *prometheus.CounterVec
	ingresses     prometheus.Gauge
	servers       prometheus.Gauge
	upstreams     prometheus.Gauge
	problemObjs   prometheus.Gauge
	problems      *prometheus.GaugeVec
	nginxRestarts prometheus.CounterFunc
	// endpointUpdates counts endpoint tables handed to nginx without a reload.
	endpointUpdates *prometheus.CounterVec
}

func newMetrics(restarts func() float64) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_nginx_reloads_total",
			Help: "nginx configuration changes applied (start or reload), by result (success, failure) and reason (start, config)."}, []string{"result", "reason"}),
		lastReloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "atrium_nginx_last_reload_successful",
			Help: "1 if the last candidate configuration passed nginx -t and was applied, else 0."}),
		configHash: prometheus.NewGauge(prometheus.GaugeOpts{Name: "atrium_nginx_config_hash",
			Help: "Hash of the running nginx.conf (first 48 bits, as a number)."}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "atrium_sync_duration_seconds",
			Help: "Time from the start of a rebuild to nginx serving it (or the rebuild failing).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_syncs_total",
			Help: "Rebuilds, by outcome (applied, unchanged, invalid, error)."}, []string{"outcome"}),
		ingresses: prometheus.NewGauge(prometheus.GaugeOpts{Name: "atrium_ingresses", Help: "Ingresses served by this controller."}),
		servers:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "atrium_servers", Help: "nginx server blocks (hosts, with the catch-all)."}),
		upstreams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "atrium_upstreams", Help: "nginx upstreams (Service ports with ready endpoints)."}),
		problemObjs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "atrium_objects_with_problems",
			Help: "Objects with at least one problem in the last rebuild."}),
		problems: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "atrium_problems",
			Help: "Problems found in the last rebuild, by reason."}, []string{"reason"}),
	}
	m.endpointUpdates = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_endpoint_updates_total",
		Help: "Endpoint tables handed to nginx over its control socket (no reload), by result."}, []string{"result"})
	m.nginxRestarts = prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "atrium_nginx_restarts_total",
		Help: "Times nginx died unexpectedly and was restarted with the last good configuration."}, restarts)
	m.reg.MustRegister(m.reloads, m.lastReloadOK, m.configHash, m.syncDuration, m.syncs, m.ingresses, m.servers,
		m.upstreams, m.problemObjs, m.problems, m.nginxRestarts, m.endpointUpdates,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// setHash exposes a hex config hash as a number (48 bits stay exact in a float64).
func (m *metrics) setHash(hash string) {
	if len(hash) > 12 {
		hash = hash[:12]
	}
	if v, err := strconv.ParseUint(hash, 16, 64); err == nil {
		m.configHash.Set(float64(v))
	}
}
