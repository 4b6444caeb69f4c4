// Package reconcile is Atrium's effects edge: it watches the cluster, feeds
// snapshots to the pure core (internal/nginxconf), applies the result through
// the nginx supervisor, and reports health, metrics and Events.
package reconcile

import (
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Options are the controller's flags. Names follow ingress-nginx where the
// meaning is the same, so operators can carry their habits over.
type Options struct {
	Kubeconfig        string
	IngressClass      string
	ControllerClass   string
	WatchWithoutClass bool
	WatchNamespace    string

	AnnotationsPrefix string
	ConfigMap         string

	AllowExternalName bool
	// EnableSSLPassthrough honours the ssl-passthrough annotation.
	EnableSSLPassthrough bool

	DefaultBackendService string
	DefaultSSLCertificate string

	HTTPPort    int
	HTTPSPort   int
	HealthzPort int
	StatusPort  int
	BindAddress string
	// HealthzBindAddress is where /healthz and /metrics listen.
	HealthzBindAddress string

	NginxBinary     string
	NginxDir        string
	AccessLog       string
	WorkerProcesses string
	// ShutdownGracePeriod is nginx's worker_shutdown_timeout: how long
	// in-flight requests and WebSockets may drain on reload or shutdown.
	ShutdownGracePeriod time.Duration

	PublishService         string
	PublishStatusAddress   string
	UpdateStatusOnShutdown bool
	ElectionID             string
	DisableLeaderElection  bool
	ElectionLeaseDuration  time.Duration
	ElectionRenewDeadline  time.Duration
	ElectionRetryPeriod    time.Duration

	ValidatingWebhook            string
	ValidatingWebhookCertificate string
	ValidatingWebhookKey         string

	// SyncHoldOff and SyncMaxDelay coalesce bursts of events into one rebuild.
	SyncHoldOff  time.Duration
	SyncMaxDelay time.Duration
}

// RegisterFlags binds the options to a FlagSet with their defaults.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "Path to a kubeconfig file. Empty: in-cluster configuration.")
	fs.StringVar(&o.IngressClass, "ingress-class", "atrium", "Name of the IngressClass (and value of the legacy kubernetes.io/ingress.class annotation) served.")
	fs.StringVar(&o.ControllerClass, "controller-class", "atrium-ingress.io/controller", "spec.controller value of the IngressClasses this controller serves.")
	fs.BoolVar(&o.WatchWithoutClass, "watch-ingress-without-class", false, "Also serve Ingresses that name no class (no ingressClassName and no annotation).")
	fs.StringVar(&o.WatchNamespace, "watch-namespace", "", "Namespace to watch for Ingresses, Services, EndpointSlices, Secrets and ConfigMaps. Empty: all namespaces.")
	fs.StringVar(&o.AnnotationsPrefix, "annotations-prefix", "nginx.ingress.kubernetes.io", "Prefix of the ingress-nginx annotations read (see docs/annotations.md).")
	fs.StringVar(&o.ConfigMap, "configmap", "", "ConfigMap (namespace/name) with ingress-nginx style global settings (see docs/configmap.md), applied live.")
	fs.BoolVar(&o.AllowExternalName, "allow-external-name-services", false, "Proxy to ExternalName Services (their names are resolved by the controller at every rebuild and every minute). Off: refused with an Event.")
	fs.BoolVar(&o.EnableSSLPassthrough, "enable-ssl-passthrough", false, "Honour the ssl-passthrough annotation: nginx's stream module takes the HTTPS port and sends the TLS connections of those hosts, by SNI, unopened to their endpoints (changes of these endpoints reload nginx). Off: the annotation is ignored with an Event.")
	fs.StringVar(&o.DefaultBackendService, "default-backend-service", "", "Service (namespace/name) that answers unknown hosts and unmatched paths. Empty: a built-in 404.")
	fs.StringVar(&o.DefaultSSLCertificate, "default-ssl-certificate", "", "kubernetes.io/tls Secret (namespace/name) served where no Ingress certificate applies. Empty: a self-signed certificate generated at start.")
	fs.IntVar(&o.HTTPPort, "http-port", 80, "Port nginx serves HTTP on.")
	fs.IntVar(&o.HTTPSPort, "https-port", 443, "Port nginx serves HTTPS on.")
	fs.IntVar(&o.HealthzPort, "healthz-port", 10254, "Port for /healthz and /metrics.")
	fs.IntVar(&o.StatusPort, "status-port", 10246, "Loopback-only port nginx serves the controller on (config hash, stub status).")
	fs.StringVar(&o.BindAddress, "bind-address", "", "Comma-separated IP addresses nginx listens on for HTTP and HTTPS. Empty: all addresses.")
	fs.StringVar(&o.HealthzBindAddress, "healthz-bind-address", "", "IP address /healthz and /metrics listen on. Empty: all addresses.")
	fs.StringVar(&o.NginxBinary, "nginx-binary", "", "Path of the nginx binary. Empty: /usr/sbin/nginx, else nginx from PATH.")
	fs.StringVar(&o.NginxDir, "nginx-dir", "/tmp/atrium", "Directory for nginx.conf, certificates, logs and temp files (created if missing).")
	fs.StringVar(&o.AccessLog, "access-log", "", "nginx access log path (e.g. /dev/stdout). Empty: access logging off.")
	fs.StringVar(&o.WorkerProcesses, "worker-processes", "auto", "nginx worker_processes: a number, or auto (the CPUs this container may use, its CPU limit included).")
	fs.DurationVar(&o.ShutdownGracePeriod, "shutdown-grace-period", 240*time.Second, "How long old nginx workers may drain requests and WebSockets after a reload or at shutdown (worker_shutdown_timeout).")
	fs.StringVar(&o.PublishService, "publish-service", "", "Service (namespace/name) whose addresses are written to Ingress status (LoadBalancer ingress and externalIPs).")
	fs.StringVar(&o.PublishStatusAddress, "publish-status-address", "", "Comma-separated IPs or host names written to Ingress status; takes precedence over --publish-service.")
	fs.BoolVar(&o.UpdateStatusOnShutdown, "update-status-on-shutdown", true, "Clear the Ingress status when the last replica shuts down.")
	fs.StringVar(&o.ElectionID, "election-id", "atrium-leader", "Name of the coordination.k8s.io Lease, in the controller's namespace (POD_NAMESPACE), used to elect the replica that writes status.")
	fs.BoolVar(&o.DisableLeaderElection, "disable-leader-election", false, "Write status without electing a leader (one replica only).")
	fs.DurationVar(&o.ElectionLeaseDuration, "election-lease-duration", 15*time.Second, "How long a leader's Lease lasts without renewal before another replica takes over.")
	fs.DurationVar(&o.ElectionRenewDeadline, "election-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew before it gives up leading.")
	fs.DurationVar(&o.ElectionRetryPeriod, "election-retry-period", 2*time.Second, "How often replicas try to acquire or renew the Lease.")
	fs.StringVar(&o.ValidatingWebhook, "validating-webhook", "", "Address (e.g. :8443) to serve the validating admission webhook on, over TLS. Empty: no webhook.")
	fs.StringVar(&o.ValidatingWebhookCertificate, "validating-webhook-certificate", "", "PEM certificate for the webhook's TLS (re-read when the file changes).")
	fs.StringVar(&o.ValidatingWebhookKey, "validating-webhook-key", "", "PEM key for the webhook's TLS.")
	fs.DurationVar(&o.SyncHoldOff, "sync-hold-off", 100*time.Millisecond, "Quiet time after a change before the configuration is rebuilt; bursts of changes become one rebuild.")
	fs.DurationVar(&o.SyncMaxDelay, "sync-max-delay", 1500*time.Millisecond, "Longest a change waits for a busy stream of events to go quiet.")
}

// Validate checks flag values that the core cannot check itself.
func (o *Options) Validate() error {
	for _, n := range []struct{ flag, v string }{{"--default-backend-service", o.DefaultBackendService}, {"--default-ssl-certificate", o.DefaultSSLCertificate}, {"--publish-service", o.PublishService}, {"--configmap", o.ConfigMap}} {
		if n.v == "" {
			continue
		}
		if _, err := parseNamespacedName(n.v); err != nil {
			return fmt.Errorf("%s: %w", n.flag, err)
		}
	}
	for _, a := range o.bindAddresses() {
		if net.ParseIP(a) == nil {
			return fmt.Errorf("--bind-address: %q is not an IP address", a)
		}
	}
	if !o.DisableLeaderElection && (o.ElectionRetryPeriod <= 0 || o.ElectionRenewDeadline <= o.ElectionRetryPeriod || o.ElectionLeaseDuration <= o.ElectionRenewDeadline) {
		return fmt.Errorf("leader election needs 0 < --election-retry-period < --election-renew-deadline < --election-lease-duration")
	}
	if o.ValidatingWebhook != "" && (o.ValidatingWebhookCertificate == "" || o.ValidatingWebhookKey == "") {
		return fmt.Errorf("--validating-webhook needs --validating-webhook-certificate and --validating-webhook-key")
	}
	if o.SyncHoldOff <= 0 || o.SyncMaxDelay < o.SyncHoldOff {
		return fmt.Errorf("--sync-hold-off must be > 0 and <= --sync-max-delay")
	}
	return nil
}

func (o *Options) bindAddresses() []string {
	var out []string
	for _, a := range strings.Split(o.BindAddress, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func parseNamespacedName(s string) (types.NamespacedName, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return types.NamespacedName{}, fmt.Errorf("%q must be namespace/name", s)
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

func (o *Options) publishAddresses() []string {
	var out []string
	for _, a := range strings.Split(o.PublishStatusAddress, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
