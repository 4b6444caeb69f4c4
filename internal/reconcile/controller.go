package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atrium-ingress/atrium/internal/configmap"
	"github.com/atrium-ingress/atrium/internal/nginx"
	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

// Run runs the controller until ctx ends, then shuts nginx down gracefully.
func Run(ctx context.Context, o Options, log *slog.Logger) error {
	if err := o.Validate(); err != nil {
		return err
	}
	// controller-runtime and client-go log through logr; route them to slog.
	crlog.SetLogger(logr.FromSlogHandler(log.Handler()))
	restCfg, err := restConfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.NginxDir)
	if err != nil {
		return err
	}
	sup, err := nginx.New(nginx.Options{
		Binary:    o.NginxBinary,
		Dir:       dir,
		StatusURL: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(o.StatusPort)) + "/atrium/config-hash",
		Logger:    log.With("component", "nginx"),
	})
	if err != nil {
		return err
	}
	core, err := CoreOptions(o, dir, time.Now())
	if err != nil {
		return err
	}
	workers, err := nginx.DefaultWorkerIdentity()
	if err != nil {
		return err
	}

	mgr, err := manager.New(restCfg, manager.Options{
		Scheme:                 scheme(),
		Cache:                  cacheOptions(o, core),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	m := newMetrics(func() float64 { return float64(sup.Restarts()) })
	s := &syncer{
		reader:            mgr.GetCache(),
		core:              core,
		nginx:             sup,
		rel:               newRelevance(),
		metrics:           m,
		reporter:          newReporter(mgr.GetEventRecorder("atrium-ingress-controller")),
		log:               log.With("component", "sync"),
		holdOff:           o.SyncHoldOff,
		allowExternalName: o.AllowExternalName,
		maxDelay:          o.SyncMaxDelay,
		dirty:             make(chan struct{}, 1),
		workers:           workers,
	}
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	sw := newStatusWriter(o, cs, func(ctx context.Context) ([]*networkingv1.Ingress, error) {
		snap, err := s.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return nginxconf.SelectIngresses(snap, core), nil
	}, log)
	s.onApplied = func(string) { sw.trigger() }
	s.extraServices = sw.publishService
	if o.ConfigMap != "" {
		s.configMap, _ = parseNamespacedName(o.ConfigMap)
		s.global = configmap.Defaults()
	}
	if err := watch(ctx, mgr.GetCache(), s.rel, s.trigger, s.configMap); err != nil {
		return err
	}
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("cache did not sync")
		}
		s.trigger("start")
		return s.run(ctx)
	})); err != nil {
		return err
	}

	if o.ValidatingWebhook != "" {
		// The webhook reads the same cache; it answers once the cache has synced.
		snapshot := func(ctx context.Context) (nginxconf.Snapshot, error) {
			if !mgr.GetCache().WaitForCacheSync(ctx) {
				return nginxconf.Snapshot{}, errors.New("the cache has not synced yet")
			}
			return s.snapshot(ctx)
		}
		if err := startWebhook(ctx, o, snapshot, core, log.With("component", "webhook")); err != nil {
			return fmt.Errorf("validating webhook: %w", err)
		}
	}

	var stopping atomic.Bool
	health := healthServer(o, m, func() bool { return !stopping.Load() && sup.Ready() })
	go func() {
		if err := health.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("healthz/metrics server failed", "err", err)
		}
	}()
	// A previous controller that crashed may have left nginx serving: take
	// it over and reload it, rather than start a second one (no request is
	// dropped across a controller restart).
	if sup.Adopt() {
		log.Info("adopted a running nginx; the first sync reloads it", "pid", sup.PID())
	}
	supCtx, stopSup := context.WithCancel(context.Background())
	defer stopSup()
	go func() { _ = sup.Run(supCtx) }()

	var leading atomic.Bool
	lead := func(lctx context.Context) {
		leading.Store(true)
		sw.run(lctx)
		if ctx.Err() == nil {
			leading.Store(false) // lost the lease, not shutting down
		}
	}
	if o.DisableLeaderElection {
		go lead(ctx)
	} else {
		go runElection(ctx, cs, electionConfig{
			namespace: podNamespace(o), name: o.ElectionID, identity: identity(),
			lease: o.ElectionLeaseDuration, renew: o.ElectionRenewDeadline, retry: o.ElectionRetryPeriod,
		}, log.With("component", "election"), lead)
	}

	log.Info("starting", "ingressClass", o.IngressClass, "controllerClass", o.ControllerClass, "httpPort", o.HTTPPort, "httpsPort", o.HTTPSPort)
	runErr := mgr.Start(ctx)

	// Shutdown: report unhealthy first, so load balancers stop sending new
	// connections, then let nginx drain in-flight requests and quit.
	stopping.Store(true)
	if o.UpdateStatusOnShutdown && leading.Load() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sw.list = func(ctx context.Context) ([]*networkingv1.Ingress, error) { return listServed(ctx, cs, core) }
		if err := sw.clearOnShutdown(cctx); err != nil {
			log.Error("clearing Ingress status on shutdown", "err", err)
		}
		cancel()
	}
	stopSup()
	sdCtx, cancel := context.WithTimeout(context.Background(), o.ShutdownGracePeriod+5*time.Second)
	defer cancel()
	if err := sup.Shutdown(sdCtx); err != nil {
		log.Error("nginx shutdown", "err", err)
	}
	_ = health.Shutdown(sdCtx)
	return runErr
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		c, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("no --kubeconfig and not in a cluster: %w", err)
		}
		return c, nil
	}
	return clientcmd.BuildConfigFromFlags("", kubeconfig)
}

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	_ = discoveryv1.AddToScheme(s)
	_ = networkingv1.AddToScheme(s)
	return s
}

// cacheOptions keeps the informers to what the core reads; see
// cachefilter.go for what is kept of Secrets and ConfigMaps, and why.
func cacheOptions(o Options, core nginxconf.Options) cache.Options {
	own, _ := parseNamespacedName(o.ConfigMap)
	// Secrets and ConfigMaps have their own transforms (trimSecret,
	// trimConfigMap), which also drop what slim drops.
	opts := cache.Options{DefaultTransform: slim, ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}:    {Field: secretFieldSelector(), Transform: trimSecret},
		&corev1.ConfigMap{}: {Transform: trimConfigMap(own)},
	}}
	if o.WatchNamespace != "" {
		nss := map[string]cache.Config{o.WatchNamespace: {}}
		// The flags may name objects outside the watched namespace.
		for _, ns := range []string{core.DefaultBackend.Namespace, core.DefaultCertificate.Namespace, own.Namespace} {
			if ns != "" {
				nss[ns] = cache.Config{}
			}
		}
		opts.DefaultNamespaces = nss
		opts.ByObject[&networkingv1.Ingress{}] = cache.ByObject{Namespaces: map[string]cache.Config{o.WatchNamespace: {}}}
	}
	return opts
}

// CoreOptions maps flags to the pure core's options, with a freshly
// generated fallback certificate. dir is nginx's absolute runtime directory.
func CoreOptions(o Options, dir string, now time.Time) (nginxconf.Options, error) {
	if err := o.Validate(); err != nil {
		return nginxconf.Options{}, err
	}
	p := nginx.Options{Dir: dir}.Paths()
	crt, key, err := selfSigned(now)
	if err != nil {
		return nginxconf.Options{}, err
	}
	workers, err := nginx.DefaultWorkerIdentity()
	if err != nil {
		return nginxconf.Options{}, err
	}
	c := nginxconf.Options{
		IngressClass:                 o.IngressClass,
		ControllerClass:              o.ControllerClass,
		WatchWithoutClass:            o.WatchWithoutClass,
		AnnotationsPrefix:            o.AnnotationsPrefix,
		SSLPassthrough:               o.EnableSSLPassthrough,
		FallbackCertificate:          crt,
		FallbackKey:                  key,
		BindAddresses:                o.bindAddresses(),
		HTTPPort:                     o.HTTPPort,
		HTTPSPort:                    o.HTTPSPort,
		StatusPort:                   o.StatusPort,
		Dir:                          dir,
		PIDFile:                      p.PIDFile,
		ErrorLog:                     p.ErrorLog,
		TempDir:                      p.TempDir,
		EndpointsFile:                p.EndpointsFile,
		ControlSocket:                p.ControlSocket,
		SinkDir:                      p.SinkDir,
		AccessLog:                    o.AccessLog,
		WorkerProcesses:              o.WorkerProcesses,
		WorkerShutdownTimeoutSeconds: int(o.ShutdownGracePeriod.Seconds()),
		OpenFileLimit:                openFileLimit(),
		CPUs:                         cpuCount(),
		Resolvers:                    systemNameservers(),
	}
	if workers != nil {
		c.WorkerUser, c.WorkerGroup = workers.User, workers.Group
	}
	if o.DefaultBackendService != "" {
		c.DefaultBackend, _ = parseNamespacedName(o.DefaultBackendService)
	}
	if o.DefaultSSLCertificate != "" {
		c.DefaultCertificate, _ = parseNamespacedName(o.DefaultSSLCertificate)
	}
	return c, nil
}

// healthServer serves /healthz (200 once nginx runs a good config, 503 while
// shutting down) and /metrics.
func healthServer(o Options, m *metrics, healthy func() bool) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !healthy() {
			http.Error(w, "nginx is not serving a configuration", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return &http.Server{
		Addr:              net.JoinHostPort(o.HealthzBindAddress, strconv.Itoa(o.HealthzPort)),
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
	}
}

// newStatusWriter configures status writing from the flags.
func newStatusWriter(o Options, cs kubernetes.Interface, list func(context.Context) ([]*networkingv1.Ingress, error), log *slog.Logger) *statusWriter {
	w := &statusWriter{
		client: cs, list: list, publishAddrs: o.publishAddresses(),
		podName: os.Getenv("POD_NAME"), podNamespace: os.Getenv("POD_NAMESPACE"),
		kick: make(chan struct{}, 1), log: log.With("component", "status"),
	}
	if o.PublishService != "" {
		w.publishService, _ = parseNamespacedName(o.PublishService)
	}
	return w
}

// listServed reads the served Ingresses straight from the apiserver (the
// cache is stopped at shutdown).
func listServed(ctx context.Context, cs kubernetes.Interface, core nginxconf.Options) ([]*networkingv1.Ingress, error) {
	ings, err := cs.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	classes, err := cs.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var snap nginxconf.Snapshot
	for i := range ings.Items {
		snap.Ingresses = append(snap.Ingresses, &ings.Items[i])
	}
	for i := range classes.Items {
		snap.IngressClasses = append(snap.IngressClasses, &classes.Items[i])
	}
	return nginxconf.SelectIngresses(snap, core), nil
}

// podNamespace is where the leader-election Lease lives.
func podNamespace(o Options) string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if o.WatchNamespace != "" {
		return o.WatchNamespace
	}
	return "default"
}

// identity names this replica in the Lease.
func identity() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	h, _ := os.Hostname()
	return h + "_" + strconv.Itoa(os.Getpid())
}
