package nginxconf

import (
	"github.com/atrium-ingress/atrium/internal/configmap"
	"github.com/atrium-ingress/atrium/templates"
	"net"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// config assembles the model from what the processors decided.
func (b *builder) config() *Config {
	o := b.opts
	cfg := &Config{
		WorkerProcesses:       o.WorkerProcesses,
		WorkerShutdownTimeout: o.WorkerShutdownTimeoutSeconds,
		PIDFile:               o.PIDFile,
		ErrorLog:              o.ErrorLog,
		TempDir:               o.TempDir,
		AccessLog:             o.AccessLog,
		StatusListen:          net.JoinHostPort("127.0.0.1", strconv.Itoa(o.StatusPort)),
		ModulesDir:            o.ModulesDir,
		EndpointsFile:         o.EndpointsFile,
		ControlSocket:         o.ControlSocket,
		SinkDir:               o.sinkDir(),
	}
	if cfg.ModulesDir == "" {
		cfg.ModulesDir = DefaultModulesDir
	}
	for _, m := range []struct{ name, src string }{
		{"atrium", templates.AtriumLua}, {"atrium_balance", templates.AtriumBalanceLua}, {"atrium_canary", templates.AtriumCanaryLua},
	} {
		rel := "lua/" + m.name + ".lua"
		b.files[rel] = []byte(m.src)
		cfg.LuaModules = append(cfg.LuaModules, LuaModule{Name: m.name, File: filepath.Join(o.Dir, rel)})
	}
	cfg.G = configmap.Defaults()
	if o.Global != nil {
		cfg.G = *o.Global
	}
	b.globalHeaders(cfg)
	// The ConfigMap's access-log-path and disable-access-log are live
	// settings, so they win over the --access-log flag.
	if cfg.G.AccessLogPath != "" {
		cfg.AccessLog = cfg.G.AccessLogPath
	}
	if cfg.G.DisableAccessLog {
		cfg.AccessLog = ""
	}
	// The ConfigMap wins over the flags where both speak.
	if cfg.G.WorkerProcesses != "" {
		cfg.WorkerProcesses = cfg.G.WorkerProcesses
	}
	if cfg.G.WorkerShutdownTimeout > 0 {
		cfg.WorkerShutdownTimeout = cfg.G.WorkerShutdownTimeout
	}
	if cfg.WorkerProcesses == "" || cfg.WorkerProcesses == "auto" {
		cfg.WorkerProcesses = "auto"
		if o.CPUs > 0 {
			cfg.WorkerProcesses = strconv.Itoa(o.CPUs)
		}
	}
	if cfg.WorkerShutdownTimeout <= 0 {
		cfg.WorkerShutdownTimeout = 240
	}
	cfg.WorkerOpenFiles, cfg.WorkerConnections = workerLimits(o.OpenFileLimit, cfg.G.MaxWorkerConnections)
	cfg.ForwardHeaders, cfg.FullForwardedFor = forwardHeaders(cfg.G), fullForwardedFor(cfg.G)
	cfg.FullForwardedPeer, cfg.ProxyProtocol = fullForwardedPeer(cfg.G), cfg.G.UseProxyProtocol
	if cfg.G.ProxyBuffering != "on" {
		cfg.G.ProxyBuffering = "off" // also for a Config not made by configmap.Defaults
	}
	cfg.HTTPListen = listens(o.BindAddresses, o.HTTPPort)
	if b.defaultCert != nil {
		cfg.HTTPSListen = listens(o.BindAddresses, o.HTTPSPort)
		cfg.SinkCert = b.certFile(b.defaultCert)
	}
	redirectPort := ""
	if o.HTTPSPort != 443 {
		redirectPort = strconv.Itoa(o.HTTPSPort)
	}

	redirects := b.wwwRedirects()
	aliases := b.aliases(redirects)
	certs := map[string]*certificate{}
	for _, h := range b.sortedHosts() { // "" (the catch-all) sorts first
		sb := b.servers[h]
		srv := Server{Host: h, ServerName: serverName(h), Default: h == "", Wildcard: strings.HasPrefix(h, "*."), RedirectPort: redirectPort, Aliases: aliases[h]}
		if b.defaultCert != nil {
			// Only the catch-all and hosts with a certificate of their own
			// name one: a handshake for any other host stays on the
			// catch-all's SSL context and so gets the default certificate.
			// Each ssl_certificate costs nginx an SSL context at every
			// nginx -t and reload (0.82 s vs 0.25 s at 1,000 hosts).
			if c := b.hostCertificate(sb); c != nil {
				srv.CertFile = b.certFile(c)
				certs[h] = c
			} else if srv.Default {
				srv.CertFile = b.certFile(b.defaultCert)
			}
			srv.TLS = sb.tls != nil
			if sb.clientAuth != nil && srv.CertFile == "" {
				// nginx asks for client certificates in the handshake of the
				// server SNI picked, and only a server with a certificate of
				// its own is picked: this host needs one, the default.
				srv.CertFile = b.certFile(b.defaultCert)
			}
			// ssl-ciphers and ssl-prefer-server-ciphers: the same holds for
			// a server's SSL settings.
			srv.SSLCiphers, srv.SSLPreferServerCiphers = sb.sslCiphers, sb.sslPrefer
			if (srv.SSLCiphers != "" || srv.SSLPreferServerCiphers != "") && srv.CertFile == "" {
				srv.CertFile = b.certFile(b.defaultCert)
			}
		}
		// Without HTTPS at all, a host that verifies client certificates
		// still answers plain HTTP 403 (Location.RequireTLS).
		srv.ClientAuth, srv.ClientAuthError = sb.clientAuth, sb.clientAuthError
		haveRoot := false
		for k, e := range sb.locations {
			l := e.finish(srv.TLS, cfg.G)
			srv.Locations = append(srv.Locations, l)
			if (k.match == MatchPrefix || k.match == MatchRegex) && k.path == "/" {
				haveRoot = true // a regex "^/" matches every request the fallback would
			}
		}
		if !haveRoot {
			srv.Locations = append(srv.Locations, sb.fallback.finish(srv.TLS, cfg.G))
		}
		srv.Locations = append(srv.Locations, noAutoRedirect(srv.Locations)...)
		sortLocations(srv.Locations)
		srv.ErrorLocations = b.serverErrorLocations(srv.Locations)
		authLocations(&srv)
		for i := range srv.Locations {
			l := &srv.Locations[i]
			l.ReaddHSTS = readdHSTS(*l, cfg.G.HSTS)
			l.ClearGlobalHeaders = ownResponseHeaders(*l, cfg.ResponseHeaders)
			l.ProxySetHeaders = locationProxySetHeaders(*l, cfg.ProxySetHeaders)
			l.HideHeaders = locationHideHeaders(*l, cfg.G.HideHeaders)
			for _, h := range l.Headers {
				cfg.LiteralDollar = cfg.LiteralDollar || strings.Contains(h.Value, "$")
			}
		}
		srv.Mirrors = serverMirrors(srv.Locations)
		cfg.Servers = append(cfg.Servers, srv)
	}
	logIdentities(cfg)
	cfg.HostRedirects = b.hostRedirects(redirects, certs)
	if len(cfg.HostRedirects) > 0 {
		cfg.RedirectPortHTTPS = portSuffix(o.HTTPSPort, 443)
		cfg.RedirectPortHTTP = portSuffix(o.HTTPPort, 80)
	}
	cfg.CORSMaps = corsMaps(cfg.Servers)
	cfg.TLSPools = tlsPools(cfg.Servers)
	cfg.LimitZones = limitZones(cfg.Servers)
	cfg.Passthrough = b.passthroughConfig(cfg)
	cfg.RealIP = realIP(cfg.G, cfg.Passthrough)
	cfg.Upstreams = b.be.list()
	for p, d := range b.files {
		cfg.Files = append(cfg.Files, File{Path: p, Data: d, WorkerReadable: b.workerFiles[p]})
	}
	cfg.User, cfg.Group = o.WorkerUser, o.WorkerGroup
	cfg.Resolvers = resolvers(cfg.Servers, o.Resolvers)
	cfg.AuthCachePath = authCachePath(cfg.Servers, o.TempDir)
	sort.Slice(cfg.Files, func(i, j int) bool { return cfg.Files[i].Path < cfg.Files[j].Path })
	return cfg
}

// corsMaps gives every distinct CORS origin regex one map variable, named
// in the order of the regexes, and points the locations at theirs.
func corsMaps(servers []Server) []CORSMap {
	set := map[string]bool{}
	for _, srv := range servers {
		for _, l := range srv.Locations {
			if l.CORS != nil && l.CORS.OriginRegex != "" {
				set[l.CORS.OriginRegex] = true
			}
		}
	}
	regexes := make([]string, 0, len(set))
	for r := range set {
		regexes = append(regexes, r)
	}
	sort.Strings(regexes)
	vars := map[string]string{}
	maps := make([]CORSMap, 0, len(regexes))
	for i, r := range regexes {
		vars[r] = "atrium_cors_" + strconv.Itoa(i)
		maps = append(maps, CORSMap{Var: vars[r], Regex: r})
	}
	for _, srv := range servers {
		for i := range srv.Locations {
			if c := srv.Locations[i].CORS; c != nil && c.OriginRegex != "" {
				cc := *c
				cc.OriginVar = vars[c.OriginRegex]
				srv.Locations[i].CORS = &cc
			}
		}
	}
	return maps
}

// DefaultModulesDir is where Debian's nginx keeps dynamic modules.
const DefaultModulesDir = "/usr/share/nginx/modules"

// hostCertificate returns the certificate an Ingress names for this host,
// or nil (with a Problem) when it is missing, unusable or does not cover it.
func (b *builder) hostCertificate(sb *serverBuild) *certificate {
	t := sb.tls
	if t == nil {
		return nil
	}
	if t.secret == "" {
		return nil // no secretName: the default certificate, as the spec allows
	}
	sec, ok := b.secrets[t.secret]
	if !ok {
		b.ps.add(t.owner, t.field, ReasonSecretNotFound, "TLS Secret %s not found; serving the default certificate for host %q", t.secret, sb.host)
		return nil
	}
	c, err := certificateFromSecret(sec)
	if err != nil {
		b.ps.add(t.owner, t.field, ReasonInvalidCertificate, "%v; serving the default certificate for host %q", err, sb.host)
		return nil
	}
	if !c.covers(sb.host) {
		b.ps.add(t.owner, t.field, ReasonCertificateHostMismatch, "the certificate in Secret %s does not cover host %q; serving the default certificate", t.secret, sb.host)
		return nil
	}
	return c
}

// certFile records a certificate file and returns its absolute path.
func (b *builder) certFile(c *certificate) string {
	b.files[c.file] = c.pem
	return filepath.Join(b.opts.Dir, c.file)
}

// serverName is nginx's server_name for an Ingress host. nginx's own
// "*.foo.com" matches any number of labels; the Ingress spec says exactly
// one, so wildcards become an anchored regex.
func serverName(host string) string {
	switch {
	case host == "":
		return "_"
	case strings.HasPrefix(host, "*."):
		return `~^[^.]+\.` + regexp.QuoteMeta(host[2:]) + `$`
	default:
		return host
	}
}

func listens(addrs []string, port int) []string {
	p := strconv.Itoa(port)
	if len(addrs) == 0 {
		return []string{p}
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, net.JoinHostPort(a, p))
	}
	sort.Strings(out)
	return out
}

func isIP(s string) bool { return net.ParseIP(s) != nil }

// safeConfigPath allows the characters a path from our own flags may use in
// nginx.conf: no quotes, spaces, ';', '{', '}', '$' or control characters.
var safePathRe = regexp.MustCompile(`^[A-Za-z0-9/._+-]+$`)

func safeConfigPath(p string) bool { return safePathRe.MatchString(p) && !strings.Contains(p, "..") }

// sortLocations orders a server's locations. nginx picks exact and prefix
// locations by their path whatever their order, but takes the first regex
// location that matches, so regex locations come last, ordered as
// ingress-nginx orders them: longest path first, then by path descending.
func sortLocations(locs []Location) {
	sort.Slice(locs, func(i, j int) bool {
		a, b := locs[i], locs[j]
		if ra, rb := a.Match == MatchRegex, b.Match == MatchRegex; ra != rb {
			return rb
		} else if ra {
			if len(a.Path) != len(b.Path) {
				return len(a.Path) > len(b.Path)
			}
			return a.Path > b.Path
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Match < b.Match
	})
}

// noAutoRedirect returns the exact locations needed to keep nginx from
// answering 301: nginx redirects "/foo" to "/foo/" when a location named
// "/foo/" exists and no "= /foo" does, even if a shorter prefix ("/")
// should answer. For each such name it adds "= /foo" with the backend that
// the Ingress rules give "/foo": the longest prefix location matching it.
func noAutoRedirect(locs []Location) []Location {
	exact := map[string]bool{}
	for _, l := range locs {
		if l.Match == MatchExact {
			exact[l.Path] = true
		}
	}
	// nginx's redirect comes before its regex locations are tried, so on a
	// host with regex locations the one that would answer "/foo" is the
	// first regex that matches it (in the order sortLocations gives).
	var regexes []Location
	for _, l := range locs {
		if l.Match == MatchRegex {
			regexes = append(regexes, l)
		}
	}
	sortLocations(regexes)
	var add []Location
	for _, l := range locs {
		if l.Match == MatchRegex || l.Path == "/" || !strings.HasSuffix(l.Path, "/") {
			continue
		}
		bare := strings.TrimSuffix(l.Path, "/")
		if exact[bare] {
			continue
		}
		var best *Location
		for i := range regexes {
			if re, err := regexp.Compile("(?i)^" + regexes[i].Path); err == nil && re.MatchString(bare) {
				best = &regexes[i]
				break
			}
		}
		for i := range locs {
			if best != nil && best.Match == MatchRegex {
				break
			}
			c := &locs[i]
			if c.Match == MatchPrefix && strings.HasPrefix(bare, c.Path) && (best == nil || len(c.Path) > len(best.Path)) {
				best = c
			}
		}
		if best == nil {
			continue // a server always has "/", so this does not happen
		}
		e := *best
		e.Match, e.Path = MatchExact, bare
		add = append(add, e)
		exact[bare] = true
	}
	return add
}

// logIdentities keeps the locations' Identity only when the access log
// format uses it, with a path the log may print as a plain quoted string
// (a regex path with '$' or braces logs as "").
func logIdentities(cfg *Config) {
	for si := range cfg.Servers {
		for li := range cfg.Servers[si].Locations {
			l := &cfg.Servers[si].Locations[li]
			if l.Identity == nil || !cfg.G.LogFormat.Identity {
				l.Identity = nil
				continue
			}
			id := *l.Identity
			if _, err := quote(id.Path); err != nil {
				id.Path = ""
			}
			l.Identity = &id
		}
	}
}

// workerLimits derives worker_rlimit_nofile and worker_connections as
// ingress-nginx does: all open files but 1,024 (at least 1,024), and for
// max-worker-connections "0" three quarters of that (16384 when the limit
// is unknown).
func workerLimits(openFileLimit, maxWorkerConnections int) (openFiles, connections int) {
	if openFileLimit > 0 {
		openFiles = max(openFileLimit-1024, 1024)
	}
	connections = maxWorkerConnections
	if connections == 0 {
		connections = 16384
		if openFiles > 0 {
			connections = openFiles * 3 / 4
		}
	}
	return openFiles, connections
}

// finish applies what depends on the host's TLS and the ConfigMap's path
// lists, which ingress-nginx compares with the Ingress path as written
// (userPath; a fallback's location path): the redirect to HTTPS unless
// under no-tls-redirect-locations, and global auth unless under
// no-auth-locations; where a global auth that cannot be used would apply,
// the path answers 503.
func (e *locationEntry) finish(tls bool, g configmap.Config) Location {
	l := e.loc
	path := e.userPath
	if path == "" {
		path = l.Path
	}
	l.RedirectHTTPS = e.ann.redirectHTTPS(tls, g.SSLRedirect) && !pathUnderAny(path, g.NoTLSRedirectLocations)
	l.RedirectKeepSlash = l.RedirectHTTPS && e.ann.keepSlash
	if e.ann.globalAuth {
		switch {
		case pathUnderAny(path, g.NoAuthLocations):
			l.ExternalAuth = nil
		case e.ann.extAuth == nil: // the global auth cannot be used
			l = closedLocation(l)
		}
	}
	return l
}
