package reconcile

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/atrium-ingress/atrium/internal/annotations"
	"github.com/atrium-ingress/atrium/internal/configmap"
	"github.com/atrium-ingress/atrium/internal/nginx"
	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

// syncer rebuilds nginx.conf from the cache whenever something relevant
// changed. Events only mark it dirty; the loop coalesces a burst into one
// rebuild after a short quiet period (bounded by a maximum delay), so a
// thousand events make a handful of rebuilds.
type syncer struct {
	reader   client.Reader
	core     nginxconf.Options
	nginx    *nginx.Supervisor
	rel      *relevance
	metrics  *metrics
	reporter *reporter
	log      *slog.Logger
	holdOff  time.Duration
	maxDelay time.Duration
	dirty    chan struct{}
	// allowExternalName resolves ExternalName Services for the core.
	allowExternalName bool
	// syncFn is one rebuild; nil means syncOnce (tests replace it).
	syncFn func(context.Context) error
	// extraServices are Services that matter beyond the Ingresses' backends
	// (the --publish-service, whose address changes must reach status).
	extraServices types.NamespacedName
	// configMap names the --configmap; global is the last settings read
	// from it (a refused value keeps the previous one).
	configMap types.NamespacedName
	global    configmap.Config
	cmObject  *corev1.ConfigMap // for Events about it
	// lastTable is the endpoint table nginx (PID lastTablePID) has.
	lastTable    []byte
	lastTablePID int
	// onApplied is told about each configuration nginx serves (for status and tests).
	onApplied func(hash string)
	// workers is who nginx's workers run as (nil: as we do), for the
	// files they read per request.
	workers *nginx.WorkerIdentity
}

func (s *syncer) trigger(string) {
	select {
	case s.dirty <- struct{}{}:
	default: // already dirty
	}
}

// run is the sync loop; it returns when ctx ends.
func (s *syncer) run(ctx context.Context) error {
	retry := time.Duration(0)
	for {
		var retryC <-chan time.Time
		if retry > 0 {
			retryC = time.After(retry)
		}
		var resyncC <-chan time.Time
		if s.allowExternalName {
			resyncC = time.After(time.Minute) // DNS answers change without events
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.dirty:
		case <-retryC:
		case <-resyncC:
		}
		if !s.settle(ctx) {
			return nil
		}
		sync := s.syncFn
		if sync == nil {
			sync = s.syncOnce
		}
		if err := sync(ctx); err != nil {
			// A transient failure (nginx would not start, the cache is not
			// ready): try again, backing off. An invalid candidate is not
			// retried; the next change will produce another.
			retry = min(max(retry*2, 500*time.Millisecond), 10*time.Second)
			s.log.Error("sync failed; will retry", "err", err, "in", retry)
		} else {
			retry = 0
		}
	}
}

// settle waits until no event arrived for holdOff, or maxDelay passed.
func (s *syncer) settle(ctx context.Context) bool {
	deadline := time.Now().Add(s.maxDelay)
	for {
		wait := min(s.holdOff, time.Until(deadline))
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-s.dirty:
			t.Stop()
		case <-t.C:
			return true
		}
	}
}

// syncOnce builds, renders and applies one configuration.
func (s *syncer) syncOnce(ctx context.Context) error {
	start := time.Now()
	defer func() { s.metrics.syncDuration.Observe(time.Since(start).Seconds()) }()
	snap, err := s.snapshot(ctx)
	if err != nil {
		s.metrics.syncs.WithLabelValues("error").Inc()
		return err
	}
	served := nginxconf.SelectIngresses(snap, s.core)
	core, cmProbs, err := s.withConfigMap(ctx)
	if err != nil {
		s.metrics.syncs.WithLabelValues("error").Inc()
		return err
	}
	cfg, probs, err := nginxconf.Build(snap, core)
	if err != nil {
		s.metrics.syncs.WithLabelValues("error").Inc()
		return err
	}
	deps := references(served, core)
	if s.extraServices.Name != "" {
		deps.add("Service", s.extraServices)
	}
	if s.rel.set(deps) {
		s.trigger("missed")
	}
	conf, hash, err := nginxconf.Render(cfg)
	if err != nil {
		s.metrics.syncs.WithLabelValues("error").Inc()
		return err
	}
	files := make(map[string]nginx.File, len(cfg.Files))
	for _, f := range cfg.Files {
		if f.WorkerReadable {
			files[f.Path] = nginx.WorkerFile(f.Data, s.workers)
			continue
		}
		files[f.Path] = nginx.File{Data: f.Data, Mode: 0o600}
	}
	table := nginxconf.EndpointTable(cfg)
	wasRunning := s.nginx.PID() != 0
	if !wasRunning {
		// Saved where nginx loads it at start, so it serves at once.
		if err := s.pushEndpoints(ctx, table); err != nil {
			return err
		}
	} else if hash != s.nginx.LastGood() {
		// The config changes: until the reload lands, the running config
		// may still name upstreams the new one drops, so nginx first gets
		// the union of both tables, then (below) exactly the new one.
		s.pushEndpoints(ctx, mergeTables(s.lastTable, table))
	}
	res, err := s.nginx.Apply(ctx, nginx.Candidate{Config: conf, Files: files, Hash: hash})
	reason := "config"
	if !wasRunning {
		reason = "start"
	}
	if err != nil {
		// nginx keeps the old config; it still gets current endpoints.
		_ = s.pushEndpoints(ctx, mergeTables(s.lastTable, table))
		s.metrics.reloads.WithLabelValues("failure", reason).Inc()
		s.metrics.lastReloadOK.Set(0)
		s.metrics.syncs.WithLabelValues("invalid").Inc()
		s.log.Error("candidate configuration rejected; nginx keeps the last good one", "err", err)
		if !wasRunning || !errors.Is(err, nginx.ErrInvalidConfig) {
			// Nothing serves yet, or nginx did not confirm the reload:
			// worth retrying. A config nginx -t rejected is not.
			return err
		}
		return nil
	}
	if err := s.pushEndpoints(ctx, table); err != nil {
		return err // retried: nginx must get the endpoints
	}
	s.metrics.lastReloadOK.Set(1)
	if res == nginx.ResultUnchanged {
		s.metrics.syncs.WithLabelValues("unchanged").Inc()
	} else {
		s.metrics.syncs.WithLabelValues("applied").Inc()
		s.metrics.reloads.WithLabelValues("success", reason).Inc()
		s.log.Info("nginx configuration applied", "hash", hash, "reason", reason, "servers", len(cfg.Servers),
			"upstreams", len(cfg.Upstreams), "problems", len(probs), "took", time.Since(start).Round(time.Millisecond))
	}
	s.metrics.setHash(hash)
	s.metrics.ingresses.Set(float64(len(served)))
	s.metrics.servers.Set(float64(len(cfg.Servers)))
	s.metrics.upstreams.Set(float64(len(cfg.Upstreams)))
	probs = append(probs, cmProbs...)
	s.recordProblems(probs)
	var cms []*corev1.ConfigMap
	if s.cmObject != nil {
		cms = append(cms, s.cmObject)
	}
	s.reporter.report(snap, served, probs, cms...)
	if s.onApplied != nil {
		s.onApplied(hash)
	}
	return nil
}

// withConfigMap returns the core options with the ConfigMap's settings, and
// the ConfigMap's problems (unknown keys, refused values).
func (s *syncer) withConfigMap(ctx context.Context) (nginxconf.Options, []nginxconf.Problem, error) {
	core := s.core
	if s.configMap.Name == "" {
		return core, nil, nil
	}
	ref := nginxconf.ObjectRef{Kind: "ConfigMap", Namespace: s.configMap.Namespace, Name: s.configMap.Name}
	core.GlobalSource = ref
	var cm corev1.ConfigMap
	if err := s.reader.Get(ctx, s.configMap, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			// Absent: ingress-nginx's defaults, as if it were empty.
			s.global = configmap.Defaults()
			g := s.global
			core.Global = &g
			return core, nil, nil
		}
		return core, nil, err
	}
	s.cmObject = &cm
	r := configmap.Parse(cm.Data, s.global)
	s.global = r.Config
	g := r.Config
	core.Global = &g
	var probs []nginxconf.Problem
	for _, inv := range r.Invalid {
		probs = append(probs, nginxconf.Problem{Object: ref, Field: "data[" + inv.Key + "]", Reason: "InvalidConfigMapValue",
			Message: inv.Problem + "; " + inv.Outcome()})
	}
	if len(r.Unknown) > 0 {
		probs = append(probs, nginxconf.Problem{Object: ref, Field: "data", Reason: "UnknownConfigMapKeys",
			Message: "not supported by Atrium, ignored: " + strings.Join(r.Unknown, ", ")})
	}
	return core, probs, nil
}

// pushEndpoints hands nginx an endpoint table unless it already has it.
func (s *syncer) pushEndpoints(ctx context.Context, table []byte) error {
	if bytes.Equal(table, s.lastTable) && s.nginx.PID() == s.lastTablePID {
		return nil
	}
	if err := s.nginx.SetEndpoints(ctx, table); err != nil {
		s.metrics.endpointUpdates.WithLabelValues("failure").Inc()
		s.log.Error("endpoint update failed", "err", err)
		return err
	}
	s.metrics.endpointUpdates.WithLabelValues("success").Inc()
	s.lastTable, s.lastTablePID = table, s.nginx.PID()
	return nil
}

// mergeTables is the union of two endpoint tables, b's lines winning.
func mergeTables(a, b []byte) []byte {
	lines := map[string]string{}
	for _, t := range [][]byte{a, b} {
		for _, l := range strings.Split(string(t), "\n") {
			if name, _, ok := strings.Cut(l, " "); ok {
				lines[name] = l
			}
		}
	}
	names := make([]string, 0, len(lines))
	for n := range lines {
		names = append(names, n)
	}
	sort.Strings(names)
	var out bytes.Buffer
	for _, n := range names {
		out.WriteString(lines[n])
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func (s *syncer) recordProblems(probs []nginxconf.Problem) {
	objs := map[nginxconf.ObjectRef]bool{}
	byReason := map[string]int{}
	for _, p := range probs {
		objs[p.Object] = true
		byReason[string(p.Reason)]++
	}
	s.metrics.problems.Reset()
	for r, n := range byReason {
		s.metrics.problems.WithLabelValues(r).Set(float64(n))
	}
	s.metrics.problemObjs.Set(float64(len(objs)))
}

// snapshot lists everything the core reads from the informer cache.
func (s *syncer) snapshot(ctx context.Context) (nginxconf.Snapshot, error) {
	var snap nginxconf.Snapshot
	var ings networkingv1.IngressList
	var classes networkingv1.IngressClassList
	var svcs corev1.ServiceList
	var slices discoveryv1.EndpointSliceList
	var secrets corev1.SecretList
	var cms corev1.ConfigMapList
	for _, l := range []client.ObjectList{&ings, &classes, &svcs, &slices, &secrets, &cms} {
		// No deep copies: the core only reads, and a rebuild at 1,000
		// Ingresses would otherwise copy every cached object each time.
		if err := s.reader.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return snap, err
		}
	}
	for i := range ings.Items {
		snap.Ingresses = append(snap.Ingresses, &ings.Items[i])
	}
	for i := range classes.Items {
		snap.IngressClasses = append(snap.IngressClasses, &classes.Items[i])
	}
	for i := range svcs.Items {
		snap.Services = append(snap.Services, &svcs.Items[i])
	}
	for i := range slices.Items {
		snap.EndpointSlices = append(snap.EndpointSlices, &slices.Items[i])
	}
	for i := range secrets.Items {
		snap.Secrets = append(snap.Secrets, &secrets.Items[i])
	}
	for i := range cms.Items {
		snap.ConfigMaps = append(snap.ConfigMaps, &cms.Items[i])
	}
	if s.allowExternalName {
		snap.ExternalNames = resolveExternalNames(ctx, snap.Services)
	}
	return snap, nil
}

// references lists the Services, Secrets and ConfigMaps the served
// Ingresses (and the flags) name: only their events can change the
// configuration.
func references(ings []*networkingv1.Ingress, o nginxconf.Options) refs {
	r := refs{"Service": {}, "Secret": {}, "ConfigMap": {}}
	if o.DefaultBackend.Name != "" {
		r.add("Service", o.DefaultBackend)
	}
	if o.DefaultCertificate.Name != "" {
		r.add("Secret", o.DefaultCertificate)
	}
	if g := o.Global; g != nil {
		// add-headers and proxy-set-headers: "namespace/name", validated.
		for _, n := range []string{g.AddHeaders, g.ProxySetHeaders} {
			if ns, name, ok := strings.Cut(n, "/"); ok {
				r.add("ConfigMap", types.NamespacedName{Namespace: ns, Name: name})
			}
		}
	}
	addBackend := func(ns string, b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil {
			r.add("Service", types.NamespacedName{Namespace: ns, Name: b.Service.Name})
		}
	}
	prefix := o.AnnotationsPrefix
	if prefix == "" {
		prefix = annotations.DefaultPrefix
	}
	for _, ing := range ings {
		addBackend(ing.Namespace, ing.Spec.DefaultBackend)
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for i := range rule.HTTP.Paths {
				addBackend(ing.Namespace, &rule.HTTP.Paths[i].Backend)
			}
		}
		for _, t := range ing.Spec.TLS {
			if t.SecretName != "" {
				r.add("Secret", types.NamespacedName{Namespace: ing.Namespace, Name: t.SecretName})
			}
		}
		set := annotations.Parse(ing.Annotations, prefix).Set
		for _, n := range []*annotations.ObjectName{set.ProxySSLSecret, set.AuthSecret, set.AuthTLSSecret} {
			if n == nil {
				continue
			}
			ns := n.Namespace
			if ns == "" { // auth-secret and auth-tls-secret may give the name alone
				ns = ing.Namespace
			}
			r.add("Secret", types.NamespacedName{Namespace: ns, Name: n.Name})
		}
		for _, n := range []*annotations.ObjectName{set.CustomHeaders, set.AuthProxySetHeaders} {
			if n != nil {
				r.add("ConfigMap", types.NamespacedName{Namespace: n.Namespace, Name: n.Name})
			}
		}
		// default-backend names a Service whose endpoints error pages and
		// endpoint-less paths use.
		if n := set.DefaultBackend; n != nil {
			r.add("Service", types.NamespacedName{Namespace: ing.Namespace, Name: *n})
		}
	}
	return r
}
