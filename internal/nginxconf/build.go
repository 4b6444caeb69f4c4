package nginxconf

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Build turns a snapshot into the nginx model and the problems found on the
// way. It is pure and deterministic: the same objects in any order give the
// same model. An error means the Options themselves are unusable.
func Build(s Snapshot, o Options) (*Config, []Problem, error) {
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	b := &builder{opts: o, be: newBackends(s), secrets: map[string]*corev1.Secret{}, configMaps: configMapsByName(s.ConfigMaps),
		servers: map[string]*serverBuild{}, regexHosts: map[string]string{}, files: map[string][]byte{}, workerFiles: map[string]bool{},
		errorLocs: map[string]ErrorLocation{}, passthrough: map[string]*passEntry{}}
	for _, sec := range s.Secrets {
		b.secrets[sec.Namespace+"/"+sec.Name] = sec
	}
	ings := SelectIngresses(s, o)
	// Ordered processors, as in Contour's DAG builder: each step reads what
	// the previous ones decided.
	b.defaultCertificate()
	// Before the Ingresses: error answers fall back on it.
	b.defaultBackendService()
	// Annotations first: use-regex on one Ingress changes how every path of
	// its hosts matches, whichever Ingress the path comes from.
	// Canary Ingresses add no location of their own: they attach to the
	// others' once those exist.
	var inputs, canaries []ingressInput
	for _, ing := range ings {
		in, ok := b.prepare(ing)
		switch {
		case !ok:
		case in.ann.canary != nil:
			canaries = append(canaries, in)
		default:
			inputs = append(inputs, in)
			b.markRegexHosts(in)
		}
	}
	for _, in := range inputs {
		b.ingress(in)
	}
	b.applyCanaries(canaries)
	b.globalDefaultBackend()
	cfg := b.config()
	return cfg, b.ps.sorted(), nil
}

func (o Options) validate() error {
	var errs []error
	if o.HTTPPort <= 0 || o.HTTPPort > 65535 || o.HTTPSPort <= 0 || o.HTTPSPort > 65535 || o.StatusPort <= 0 || o.StatusPort > 65535 {
		errs = append(errs, fmt.Errorf("ports must be within 1-65535 (http %d, https %d, status %d)", o.HTTPPort, o.HTTPSPort, o.StatusPort))
	}
	for _, p := range []string{o.Dir, o.PIDFile, o.ErrorLog, o.TempDir, o.EndpointsFile, o.ControlSocket, o.sinkDir()} {
		if !filepath.IsAbs(p) || !safeConfigPath(p) {
			errs = append(errs, fmt.Errorf("path %q must be absolute and plain", p))
		}
	}
	if o.ModulesDir != "" && (!filepath.IsAbs(o.ModulesDir) || !safeConfigPath(o.ModulesDir)) {
		errs = append(errs, fmt.Errorf("modules dir %q must be an absolute plain path", o.ModulesDir))
	}
	if o.AccessLog != "" && (!filepath.IsAbs(o.AccessLog) || !safeConfigPath(o.AccessLog)) {
		errs = append(errs, fmt.Errorf("access log %q must be an absolute plain path", o.AccessLog))
	}
	for _, a := range o.BindAddresses {
		if !isIP(a) {
			errs = append(errs, fmt.Errorf("bind address %q is not an IP address", a))
		}
	}
	for _, n := range []string{o.WorkerUser, o.WorkerGroup} {
		if n != "" && !systemNameRe.MatchString(n) {
			errs = append(errs, fmt.Errorf("worker user or group %q is not a plain user or group name", n))
		}
	}
	if (o.WorkerUser == "") != (o.WorkerGroup == "") {
		errs = append(errs, fmt.Errorf("worker user and group go together"))
	}
	for _, a := range o.Resolvers {
		if !isIP(a) {
			errs = append(errs, fmt.Errorf("resolver %q is not an IP address", a))
		}
	}
	if o.WorkerProcesses != "" && o.WorkerProcesses != "auto" {
		if n, err := strconv.Atoi(o.WorkerProcesses); err != nil || n < 1 || n > 1024 {
			errs = append(errs, fmt.Errorf("worker processes %q must be auto or 1-1024", o.WorkerProcesses))
		}
	}
	return errors.Join(errs...)
}

// systemNameRe is a user or group name as useradd accepts it.
var systemNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}$`)

// SelectIngresses returns the Ingresses this controller serves, oldest first (then namespace/name),
// the order in which conflicts are decided.
func SelectIngresses(s Snapshot, o Options) []*networkingv1.Ingress {
	var out []*networkingv1.Ingress
	for _, ing := range s.Ingresses {
		if IsOurs(ing, s.IngressClasses, o) {
			out = append(out, ing)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

// builder holds the state of one Build.
type builder struct {
	// globalAuth is the ConfigMap's global-auth-url, built once when an
	// Ingress first needs it (globalAuthDone); nil after a problem.
	globalAuth     *ExternalAuth
	globalAuthDone bool
	opts           Options
	be             *backends
	secrets        map[string]*corev1.Secret
	// configMaps are the snapshot's ConfigMaps by namespace/name.
	configMaps map[string]*corev1.ConfigMap
	ps         problems

	servers map[string]*serverBuild // by host; "" is the catch-all
	// regexHosts are the hosts whose paths are regexes (use-regex or
	// rewrite-target on an Ingress with rules for them), each with the
	// oldest such Ingress (namespace/name).
	regexHosts  map[string]string
	defaultCert *certificate
	// catchAllDefault is the spec.defaultBackend of the oldest Ingress
	// without rules, which answers unknown hosts.
	catchAllDefault *locationEntry
	files           map[string][]byte
	// workerFiles are the files of files that workers read (File.WorkerReadable).
	workerFiles map[string]bool
	// dflt is the location of --default-backend-service (or the built-in
	// 404) for unmatched requests; dflt.Upstream is "" for the built-in.
	dflt Location
	// errorLocs are the error locations by name (see errors.go).
	errorLocs map[string]ErrorLocation
	// order counts the Ingresses as they are added (oldest first).
	order int
	// passthrough are the ssl-passthrough backends by host.
	passthrough map[string]*passEntry
}

// serverBuild collects one host's locations before they are sorted.
type serverBuild struct {
	host      string
	locations map[locationKey]*locationEntry
	// fallback is the spec.defaultBackend of the oldest Ingress with rules
	// for this host, used when no rule covers "/".
	fallback *locationEntry
	tls      *tlsEntry
	// wwwBy is the oldest Ingress asking for from-to-www-redirect on this
	// host; aliases are server-alias of the oldest Ingress with aliases
	// for it (aliasBy, aliasOrder).
	// definedBy is the oldest Ingress with the host in a rule or spec.tls.
	definedBy  *ObjectRef
	wwwBy      *ObjectRef
	aliases    []string
	aliasBy    ObjectRef
	aliasOrder int
	// clientAuth is the oldest Ingress's auth-tls for this host;
	// clientAuthError is set when any Ingress's auth-tls Secret is unusable.
	clientAuth      *ClientAuth
	clientAuthError bool
	// sslCiphers and sslPrefer are ssl-ciphers and
	// ssl-prefer-server-ciphers of the oldest Ingress with each for this
	// host (sslCiphersBy, sslPreferBy); see sslciphers.go.
	sslCiphers, sslPrefer     string
	sslCiphersBy, sslPreferBy *ObjectRef
}

type locationKey struct {
	match MatchKind
	path  string
}

// locationEntry is a candidate location and who asked for it. weak marks the
// exact half of a Prefix path, which an Exact path of the same string beats.
type locationEntry struct {
	loc      Location
	weak     bool
	owner    ObjectRef
	userPath string
	pathType string
	// ann are the annotations of the owning Ingress (zero for fallbacks).
	ann ingressAnnotations
}

type tlsEntry struct {
	owner  ObjectRef
	field  string
	secret string // namespace/name
}

func (b *builder) server(host string) *serverBuild {
	sb, ok := b.servers[host]
	if !ok {
		sb = &serverBuild{host: host, locations: map[locationKey]*locationEntry{}}
		b.servers[host] = sb
	}
	return sb
}

// define records the first (oldest) Ingress to name the host.
func (sb *serverBuild) define(ref ObjectRef) {
	if sb.definedBy == nil {
		sb.definedBy = &ref
	}
}

func ingressRef(ing *networkingv1.Ingress) ObjectRef {
	return ObjectRef{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}
}

// ingressInput is an Ingress whose names are valid, with its annotations read.
type ingressInput struct {
	ing *networkingv1.Ingress
	ref ObjectRef
	ann ingressAnnotations
}

// prepare checks an Ingress's names and reads its annotations (recording
// their problems once).
func (b *builder) prepare(ing *networkingv1.Ingress) (ingressInput, bool) {
	ref := ingressRef(ing)
	if err := validateName("namespace", ing.Namespace); err != nil {
		b.ps.add(ref, "metadata.namespace", ReasonInvalidField, "%v", err)
		return ingressInput{}, false
	}
	if err := validateName("Ingress", ing.Name); err != nil {
		b.ps.add(ref, "metadata.name", ReasonInvalidField, "%v", err)
		return ingressInput{}, false
	}
	return ingressInput{ing: ing, ref: ref, ann: b.readAnnotations(ing, ref)}, true
}

// markRegexHosts records the hosts this Ingress turns to regex matching:
// those of its rules with a path that use-regex or rewrite-target makes a
// regex (ingress-nginx's enforceRegexModifier works per server, across
// Ingresses).
func (b *builder) markRegexHosts(in ingressInput) {
	for _, r := range in.ing.Spec.Rules {
		if r.HTTP == nil || validateHost(r.Host) != nil {
			continue
		}
		if _, done := b.regexHosts[r.Host]; done {
			continue
		}
		for _, p := range r.HTTP.Paths {
			userPath := p.Path
			if userPath == "" {
				userPath = "/"
			}
			if in.ann.regexFor(userPath) {
				b.regexHosts[r.Host] = in.ing.Namespace + "/" + in.ing.Name
				break
			}
		}
	}
}

// ingress adds one Ingress's TLS entries, rules and default backend.
func (b *builder) ingress(in ingressInput) {
	ing, ref, ann := in.ing, in.ref, in.ann
	source := ing.Namespace + "/" + ing.Name
	b.order++

	var defEntry *locationEntry
	if db := ing.Spec.DefaultBackend; db != nil {
		res := b.backend(ing.Namespace, db, ref, "spec.defaultBackend", ann)
		loc := ann.apply(Location{Match: MatchPrefix, Path: "/", Upstream: res.upstream, UpstreamName: res.upstreamName, Status: res.status,
			Source: source, Identity: identity(ing, db, "/")}, res)
		defEntry = &locationEntry{loc: b.withErrors(loc, ann, errorInfo(ing.Namespace, ing.Name, db)), owner: ref, ann: ann}
		// Only an Ingress without rules speaks for every host (as in
		// Contour); with rules, its default backend serves its own hosts.
		switch {
		case len(ing.Spec.Rules) > 0:
		case b.catchAllDefault == nil:
			b.catchAllDefault = defEntry
		case !sameTarget(b.catchAllDefault.loc, defEntry.loc):
			b.ps.add(ref, "spec.defaultBackend", ReasonDefaultBackendConflict,
				"the default backend for unmatched requests is already set by the older Ingress %s", b.catchAllDefault.owner.Namespace+"/"+b.catchAllDefault.owner.Name)
		}
	}

	for i, t := range ing.Spec.TLS {
		field := fmt.Sprintf("spec.tls[%d]", i)
		if t.SecretName != "" {
			if err := validateName("Secret", t.SecretName); err != nil {
				b.ps.add(ref, field+".secretName", ReasonInvalidField, "%v", err)
				continue
			}
		}
		for j, h := range t.Hosts {
			if err := validateTLSHost(h); err != nil {
				b.ps.add(ref, fmt.Sprintf("%s.hosts[%d]", field, j), ReasonInvalidField, "%v", err)
				continue
			}
			sb := b.server(h)
			sb.define(ref)
			if sb.tls == nil {
				sb.tls = &tlsEntry{owner: ref, field: field + ".secretName", secret: ing.Namespace + "/" + t.SecretName}
				if t.SecretName == "" {
					sb.tls.secret = ""
				}
			}
			if defEntry != nil && sb.fallback == nil {
				sb.fallback = defEntry
			}
		}
	}

	for i, r := range ing.Spec.Rules {
		field := fmt.Sprintf("spec.rules[%d]", i)
		if err := validateHost(r.Host); err != nil {
			b.ps.add(ref, field+".host", ReasonInvalidField, "%v", err)
			continue
		}
		sb := b.server(r.Host)
		sb.define(ref)
		if r.Host != "" && defEntry != nil && sb.fallback == nil {
			sb.fallback = defEntry
		}
		b.hostAnnotations(sb, in, r.HTTP != nil && len(r.HTTP.Paths) > 0)
		b.hostCiphers(sb, in)
		if ann.passthrough {
			b.passthroughHost(in, i)
		}
		if r.HTTP != nil || r.Host == "" {
			b.hostClientAuth(sb, in) // as ingress-nginx: not for a host rule without paths
		}
		if ann.appRoot != "" && !ann.failClosed {
			b.addLocation(sb, &locationEntry{loc: ann.appRootLocation(source), owner: ref, userPath: "/", pathType: "app-root", ann: ann}, "metadata.annotations[app-root]")
		}
		if r.HTTP == nil {
			continue
		}
		for j := range r.HTTP.Paths {
			b.path(sb, ing, ref, source, fmt.Sprintf("%s.http.paths[%d]", field, j), &r.HTTP.Paths[j], ann)
		}
	}
}

// path adds one HTTPIngressPath to its server, deciding conflicts.
func (b *builder) path(sb *serverBuild, ing *networkingv1.Ingress, ref ObjectRef, source, field string, p *networkingv1.HTTPIngressPath, ann ingressAnnotations) {
	pt := networkingv1.PathTypeImplementationSpecific
	if p.PathType != nil {
		pt = *p.PathType
	}
	if pt != networkingv1.PathTypeExact && pt != networkingv1.PathTypePrefix && pt != networkingv1.PathTypeImplementationSpecific {
		b.ps.add(ref, field+".pathType", ReasonInvalidField, "pathType %q is not Exact, Prefix or ImplementationSpecific", pt)
		return
	}
	userPath := p.Path
	if userPath == "" && pt != networkingv1.PathTypeExact {
		userPath = "/" // an empty path is the whole host, as in ingress-nginx
	}
	// On a host where use-regex or rewrite-target is in effect, every path
	// but an Exact one is a regex (ingress-nginx's rule, across Ingresses),
	// and so is the rewrite's regex of an Exact path.
	regexBy, regexHost := b.regexHosts[sb.host]
	asRegex := regexHost && pt != networkingv1.PathTypeExact
	rw := ann.rewrite(userPath)
	var err error
	if asRegex || rw != nil {
		if err = validateRegexPath(userPath); err != nil && regexHost && regexBy != ing.Namespace+"/"+ing.Name {
			err = fmt.Errorf("%v (paths on host %q are regular expressions: use-regex or rewrite-target on Ingress %s)", err, sb.host, regexBy)
		}
	}
	// An Exact path is also a literal location (its rewrite's regex aside).
	if err == nil && !asRegex {
		err = validatePath(userPath)
	}
	if err != nil {
		b.ps.add(ref, field+".path", ReasonInvalidField, "%v", err)
		return
	}
	res := b.backend(ing.Namespace, &p.Backend, ref, field+".backend", ann)
	loc := Location{Upstream: res.upstream, UpstreamName: res.upstreamName, Status: res.status, Source: source,
		Identity: identity(ing, &p.Backend, userPath)}
	info := errorInfo(ing.Namespace, ing.Name, &p.Backend)
	entry := func(m MatchKind, path string, weak bool) *locationEntry {
		l := loc
		l.Match, l.Path = m, path
		l = b.withErrors(ann.apply(l, res), ann, info)
		if (l.Upstream != "" || l.DefaultUpstream != "") && l.Redirect == nil {
			l.Rewrite = rw
		}
		return &locationEntry{loc: l, weak: weak, owner: ref, userPath: userPath, pathType: string(pt), ann: ann}
	}
	if pt == networkingv1.PathTypeExact {
		b.addLocation(sb, entry(MatchExact, userPath, false), field)
		return
	}
	if asRegex {
		// The path as written, anchored at the start only: a prefix match,
		// as ingress-nginx renders it (`~* "^<path>"`).
		b.addLocation(sb, entry(MatchRegex, userPath, false), field)
		return
	}
	// Prefix (and ImplementationSpecific, treated as Prefix) matches by path
	// element, ignoring a trailing slash: /foo serves /foo and /foo/...,
	// never /foobar. nginx's prefix locations match by string, so /foo
	// becomes an exact /foo plus a prefix /foo/. Having the exact location
	// also stops nginx from answering /foo with a 301 to /foo/.
	trimmed := strings.TrimRight(userPath, "/")
	if trimmed == "" {
		b.addLocation(sb, entry(MatchPrefix, "/", false), field)
		return
	}
	b.addLocation(sb, entry(MatchExact, trimmed, true), field)
	b.addLocation(sb, entry(MatchPrefix, trimmed+"/", false), field)
}

func (b *builder) addLocation(sb *serverBuild, e *locationEntry, field string) {
	key := locationKey{e.loc.Match, e.loc.Path}
	cur, ok := sb.locations[key]
	switch {
	case !ok || (cur.weak && !e.weak):
		// Exact beats Prefix when both name the same path.
		sb.locations[key] = e
	case e.weak && !cur.weak:
		// keep the Exact path
	case !sameTarget(cur.loc, e.loc):
		host := sb.host
		if host == "" {
			host = "*"
		}
		b.ps.add(e.owner, field+".path", ReasonPathConflict,
			"path %q (%s) on host %q is already served by the older Ingress %s; this path is ignored",
			e.userPath, e.pathType, host, cur.owner.Namespace+"/"+cur.owner.Name)
	}
}

// backend resolves an IngressBackend of an Ingress with the given
// annotations; Resource backends are not supported.
func (b *builder) backend(ns string, be *networkingv1.IngressBackend, ref ObjectRef, field string, ann ingressAnnotations) backendResult {
	if be.Resource != nil || be.Service == nil {
		b.ps.add(ref, field, ReasonInvalidField, "only Service backends are supported")
		return backendResult{status: 503}
	}
	return b.be.resolve(ns, be.Service, ref, field+".service", &b.ps, ann.serviceUpstream)
}

// defaultCertificate picks the certificate served where no Ingress
// certificate applies: --default-ssl-certificate if usable, else the
// generated fallback.
func (b *builder) defaultCertificate() {
	if n := b.opts.DefaultCertificate; n.Name != "" {
		ref := ObjectRef{Kind: "Secret", Namespace: n.Namespace, Name: n.Name}
		if sec, ok := b.secrets[n.String()]; !ok {
			b.ps.add(ref, "--default-ssl-certificate", ReasonSecretNotFound, "default certificate Secret %s not found; serving the generated certificate", n)
		} else if c, err := certificateFromSecret(sec); err != nil {
			b.ps.add(ref, "--default-ssl-certificate", ReasonInvalidCertificate, "%v; serving the generated certificate", err)
		} else {
			b.defaultCert = c
			return
		}
	}
	c, err := parseCertificate(b.opts.FallbackCertificate, b.opts.FallbackKey)
	if err != nil {
		// Without any certificate the HTTPS listener cannot start; Render
		// leaves it out rather than failing every other server.
		return
	}
	b.defaultCert = c
}

// defaultBackendService resolves --default-backend-service (its first
// port), which answers unmatched requests and the error pages; without it
// (or when it is unusable) the built-in default backend answers 404.
func (b *builder) defaultBackendService() {
	// Logged as ingress-nginx logged its own internal 404 server.
	b.dflt = Location{Match: MatchPrefix, Path: "/", Status: 404, UpstreamName: defaultBackendUpstreamName, Source: "built-in default backend"}
	n := b.opts.DefaultBackend
	if n.Name == "" {
		return
	}
	ref := ObjectRef{Kind: "Service", Namespace: n.Namespace, Name: n.Name}
	if err := validateName("namespace", n.Namespace); err != nil {
		b.ps.add(ref, "--default-backend-service", ReasonInvalidField, "%v", err)
	} else if err := validateServiceName(n.Name); err != nil {
		b.ps.add(ref, "--default-backend-service", ReasonInvalidField, "%v", err)
	} else {
		res := b.firstPortBackend(n.Namespace, n.Name, ref, "--default-backend-service")
		// ingress-nginx's name for it, whichever Service it is (and
		// whether or not it can be used, as ingress-nginx then answered
		// from its built-in one under that name).
		b.dflt = Location{Match: MatchPrefix, Path: "/", Upstream: res.upstream, UpstreamName: defaultBackendUpstreamName, Status: res.status,
			Source: "--default-backend-service " + n.String()}
	}
}

// globalDefaultBackend puts the default backend on the catch-all and on
// hosts with no rule for "/" and no Ingress default backend.
func (b *builder) globalDefaultBackend() {
	if b.catchAllDefault != nil {
		b.server("").fallback = b.catchAllDefault
	}
	loc := b.withErrors(b.dflt, ingressAnnotations{}, ErrorInfo{})
	b.server("") // the catch-all always exists
	for _, sb := range b.servers {
		if sb.fallback == nil {
			sb.fallback = &locationEntry{loc: loc}
		}
	}
}
