// Package nginxconf is Atrium's pure core: it turns a snapshot of Kubernetes
// objects into a typed model (Build) and the model into nginx.conf bytes
// (Render). It never talks to a cluster, runs a process or writes a file, so
// the same code serves the controller, `controller render` and the tests.
package nginxconf

import (
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// Snapshot is every object the core reads. Order does not matter: Build sorts.
type Snapshot struct {
	Ingresses      []*networkingv1.Ingress
	IngressClasses []*networkingv1.IngressClass
	Services       []*corev1.Service
	EndpointSlices []*discoveryv1.EndpointSlice
	Secrets        []*corev1.Secret
	// ConfigMaps are those custom-headers may name (the controller's own
	// --configmap comes as Options.Global instead).
	ConfigMaps []*corev1.ConfigMap
	// ExternalNames holds the resolved IP addresses of ExternalName
	// Services by "namespace/name". Nil refuses ExternalName Services (the
	// default); the controller fills it with --allow-external-name-services.
	ExternalNames map[string][]string
}

// Options are the controller's settings that shape the configuration.
type Options struct {
	// IngressClass is the legacy kubernetes.io/ingress.class annotation value we serve.
	IngressClass string
	// ControllerClass is the spec.controller value of IngressClasses we serve.
	ControllerClass string
	// WatchWithoutClass serves Ingresses that name no class at all.
	WatchWithoutClass bool
	// DefaultBackend is the Service for unknown hosts and unmatched paths;
	// the zero value means the built-in 404.
	DefaultBackend types.NamespacedName
	// DefaultCertificate names a kubernetes.io/tls Secret used where no
	// Ingress certificate applies; the zero value means FallbackCertificate.
	DefaultCertificate types.NamespacedName
	// FallbackCertificate and FallbackKey are a PEM pair (generated at
	// start) used when DefaultCertificate is unset or unusable.
	FallbackCertificate []byte
	FallbackKey         []byte

	// Global holds the ConfigMap settings (nil: ingress-nginx's defaults).
	Global *configmap.Config
	// GlobalSource is the --configmap ConfigMap, which problems of its
	// values found while building (add-headers, proxy-set-headers) are
	// recorded against.
	GlobalSource ObjectRef

	// SSLPassthrough is --enable-ssl-passthrough: the ssl-passthrough
	// annotation is honoured (else ignored with a Problem) and the HTTPS
	// port is served by a stream front that routes by SNI.
	SSLPassthrough bool

	// AnnotationsPrefix is the prefix of the ingress-nginx annotations read
	// ("nginx.ingress.kubernetes.io" when empty).
	AnnotationsPrefix string

	// BindAddresses are the addresses nginx listens on; empty means all.
	BindAddresses []string
	HTTPPort      int
	HTTPSPort     int
	// StatusPort is nginx's loopback-only port for the controller (config hash, stub status).
	StatusPort int

	// Dir is nginx's runtime directory; certificate files live below it.
	Dir string
	// PIDFile, ErrorLog and TempDir are the process paths nginx is told to use.
	PIDFile  string
	ErrorLog string
	TempDir  string
	// EndpointsFile and ControlSocket are where nginx loads the endpoint
	// table from at start and where the controller posts new tables.
	EndpointsFile string
	ControlSocket string
	// SinkDir is where nginx's 503 servers listen (unix sockets) for
	// upstreams without endpoints; default Dir/sink.
	SinkDir string
	// ModulesDir holds the dynamic modules nginx loads (ndk, lua); default
	// Debian's /usr/share/nginx/modules.
	ModulesDir string

	// AccessLog is the access log path; empty turns access logging off.
	AccessLog string

	// WorkerProcesses is nginx's worker_processes ("auto" when empty).
	WorkerProcesses string
	// CPUs is how many CPUs nginx may use (the controller passes the CPUs
	// it may run on, capped by its cgroup CPU quota rounded up).
	// When set, "auto" renders this number, as ingress-nginx did: nginx's
	// own auto ignores quotas and starts a worker per CPU of the node.
	CPUs int
	// WorkerShutdownTimeoutSeconds bounds how long old workers drain after a reload or on shutdown.
	WorkerShutdownTimeoutSeconds int
	// OpenFileLimit is the hard limit on open files nginx inherits (0:
	// unknown). As ingress-nginx, workers may open all but 1,024 of them
	// (worker_rlimit_nofile), and max-worker-connections "0" means three
	// quarters of that. Asking for more than the hard limit fails in a
	// container without CAP_SYS_RESOURCE, with an [alert] at every start.
	OpenFileLimit int

	// WorkerUser and WorkerGroup are rendered as nginx's `user` directive
	// when set: the controller sets them when it runs nginx as root, and
	// gives that group the files workers read per request (see
	// File.WorkerReadable). Empty: workers run as nginx's default (as the
	// master's user when it is not root).
	WorkerUser, WorkerGroup string
	// Resolvers are the nameservers nginx resolves auth-url and
	// mirror-target host names with at request time (the controller's
	// /etc/resolv.conf); IP addresses. Empty: those must be IP addresses.
	Resolvers []string
}

// sinkDir is SinkDir or its default.
func (o Options) sinkDir() string {
	if o.SinkDir != "" {
		return o.SinkDir
	}
	return filepath.Join(o.Dir, "sink")
}
