package nginxconf

import (
	"reflect"

	"github.com/atrium-ingress/atrium/internal/annotations"
	"github.com/atrium-ingress/atrium/internal/configmap"
)

// Config is the typed model of one nginx.conf. Every string in it has been
// validated by Build; the template only prints.
type Config struct {
	WorkerProcesses       string
	WorkerShutdownTimeout int
	// WorkerOpenFiles is worker_rlimit_nofile (0: not rendered, nginx keeps
	// the inherited limit); WorkerConnections is worker_connections.
	WorkerOpenFiles   int
	WorkerConnections int
	PIDFile           string
	ErrorLog          string
	TempDir           string
	AccessLog         string
	StatusListen      string
	ModulesDir        string
	// LuaModules are loaded in this order at start (later ones use the
	// earlier ones): atrium (endpoints, round robin), atrium_balance
	// (other algorithms), atrium_canary.
	LuaModules    []LuaModule
	EndpointsFile string
	ControlSocket string
	// SinkDir holds the 503 servers' sockets; SinkCert is the certificate
	// of the TLS ones ("" without HTTPS: then there are none).
	SinkDir  string
	SinkCert string

	// G are the ConfigMap settings, validated by package configmap.
	G configmap.Config

	HTTPListen  []string
	HTTPSListen []string

	// Servers are sorted by name; the catch-all server comes first.
	Servers   []Server
	Upstreams []Upstream
	// CORSMaps are the origin maps of the CORS locations, by Var.
	CORSMaps []CORSMap
	// HostRedirects are the from-to-www-redirect servers, sorted by From.
	HostRedirects []HostRedirect
	// RedirectPortHTTP and RedirectPortHTTPS are what a host redirect puts
	// after the host for each scheme: "" for the default port, else ":port".
	RedirectPortHTTP, RedirectPortHTTPS string
	// LiteralDollar defines $atrium_dollar ("$"), which custom header
	// values use for a literal '$'.
	LiteralDollar bool
	// ForwardHeaders are the request headers every proxied (and gRPC)
	// request gets, ingress-nginx's set, in its order.
	ForwardHeaders []ForwardHeader
	// FullForwardedFor defines $atrium_full_xff, the incoming
	// X-Forwarded-For plus FullForwardedPeer (see fullForwardedFor).
	FullForwardedFor bool
	// FullForwardedPeer is the nginx variable appended: the peer's address
	// before the realip module replaced it, or with use-proxy-protocol the
	// address in the PROXY header, as ingress-nginx.
	FullForwardedPeer string
	// ResponseHeaders are add-headers' (literal values), set on every
	// response; ProxySetHeaders are proxy-set-headers' (values with
	// allow-listed variables, configmap.ParseVarText), sent to every
	// endpoint. Both sorted by name.
	ResponseHeaders, ProxySetHeaders []Header
	// RealIP is where nginx takes the client's address from (the realip
	// module); nil: the peer's own address.
	RealIP *RealIP
	// ProxyProtocol (use-proxy-protocol) makes the HTTP and HTTPS
	// listeners expect a PROXY protocol header.
	ProxyProtocol bool
	// TLSPools are the upstream blocks of the proxy-ssl-* locations (see
	// BackendTLS.Pool), sorted.
	TLSPools []string
	// Files are the certificate files the config refers to, by path relative to Dir.
	Files []File
	// LimitZones are the limit zones in use, one per Ingress, by Zone.
	LimitZones []Limits
	// Passthrough is the TLS front of --enable-ssl-passthrough (nil: off).
	Passthrough *Passthrough
	// User and Group are the `user` nginx's workers run as ("": not
	// rendered; see Options.WorkerUser).
	User, Group string
	// Resolvers are the nameservers of the `resolver` directive, which
	// auth-url and mirror-target need for DNS names (nil: none rendered).
	// IPv6 addresses are in brackets.
	Resolvers []string
	// AuthCachePath is the directory of the auth-cache-key cache
	// (proxy_cache_path, zone atrium_auth_cache) under TempDir; "" when
	// no location caches auth-url answers.
	AuthCachePath string
}

// Passthrough is --enable-ssl-passthrough: nginx's stream module listens
// on the HTTPS port and reads the SNI of each connection. Connections for
// an ssl-passthrough host go, unopened, to the endpoints of its Service;
// all others go to the http servers' TLS listener, moved to TLSSocket,
// with a PROXY protocol header carrying the client's address. Passthrough
// connections take a second hop (Socket) that drops that header again.
type Passthrough struct {
	TLSSocket string
	Socket    string
	// Routes are the passthrough hosts, sorted by host.
	Routes []PassthroughRoute
	// Upstreams are the Routes' endpoints, by name. They are in nginx.conf
	// (the stream module has no Lua balancer), so endpoint changes reload.
	Upstreams []Upstream
	// HTTPSPort is the public HTTPS port, reported as X-Forwarded-Port for
	// requests that came through TLSSocket (which has no port).
	HTTPSPort int
	// ClientFrom (use-proxy-protocol) are the load balancers whose PROXY
	// header the HTTPS front believes, so that the header it writes to
	// TLSSocket carries the client's address, not the load balancer's.
	ClientFrom []string
}

// RealIP takes the client's address from the PROXY protocol header or from
// a request header, believing it only from the peers in From.
type RealIP struct {
	// ProxyProtocol: from the PROXY protocol header; else from Header.
	ProxyProtocol bool
	Header        string
	// From are CIDRs and "unix:" (the ssl-passthrough front's socket).
	From []string
}

// PassthroughRoute sends the TLS connections for Host to Upstream.
type PassthroughRoute struct {
	Host string
	// Regex is the map regex of a wildcard Host ("" for an exact one).
	Regex    string
	Upstream string
}

// LuaModule is a Lua module nginx loads from File as Name.
type LuaModule struct {
	Name, File string
}

// TrackedDefault says the ConfigMap's load-balance needs atrium.lua in
// every location's log phase (least_conn, ewma).
func (c *Config) TrackedDefault() bool {
	return c.G.LoadBalance == algoLeastConn || c.G.LoadBalance == algoEWMA
}

// File is a file nginx needs next to its config (certificates with keys,
// password files).
type File struct {
	Path string // relative to Options.Dir
	Data []byte
	// WorkerReadable marks a file nginx's workers read at request time
	// (auth_basic_user_file), not only the master at (re)load: the
	// controller must let the workers' user read it.
	WorkerReadable bool
}

// Server is one nginx server block: one host, or the catch-all.
type Server struct {
	// Host is the Ingress host ("" for the catch-all, "*.foo.com" for a wildcard).
	Host string
	// ServerName is what nginx matches: the host, a one-label regex for a
	// wildcard, or "_" for the catch-all.
	ServerName string
	Default    bool
	// Wildcard marks a ServerName that is a regex.
	Wildcard bool
	// CertFile is the absolute path of the PEM (certificate and key) served
	// by SNI: the host's own, or on the catch-all the default certificate;
	// "" elsewhere, where nginx keeps the catch-all's.
	CertFile string
	// TLS says the host is listed in an Ingress's spec.tls: its paths
	// redirect plain HTTP to HTTPS unless an annotation says otherwise.
	TLS bool
	// RedirectPort is the HTTPS port put in redirects ("" for 443).
	RedirectPort string
	// Aliases are further exact or nginx-wildcard names (server-alias).
	Aliases   []string
	Locations []Location
	// ErrorLocations are the named locations the locations' error pages
	// refer to, with those they fall back on, sorted by name.
	ErrorLocations []ErrorLocation
	// Mirrors are the mirror locations the locations use, by Location.
	Mirrors []Mirror
	// ClientAuth is auth-tls-secret and its companions (nil: no client
	// certificates asked for).
	ClientAuth *ClientAuth
	// SSLCiphers and SSLPreferServerCiphers ("on", "off") are ssl-ciphers
	// and ssl-prefer-server-ciphers ("": the http level's); set only with
	// a CertFile, without which nginx would not use them.
	SSLCiphers             string
	SSLPreferServerCiphers string
	// ClientAuthError is set when an Ingress asked this host for client
	// certificates with a Secret that cannot be used: the whole server
	// answers 403, as in ingress-nginx.
	ClientAuthError bool
}

// ClientAuth is how a server verifies client certificates (auth-tls-*),
// with ingress-nginx's defaults applied.
type ClientAuth struct {
	CAFile  string // absolute path of the trusted CAs
	CRLFile string // absolute path of the CRL, "" for none
	// Verify is ssl_verify_client: "on", "off", "optional", "optional_no_ca".
	Verify string
	Depth  string // "1"-"100"
	// ErrorPage answers 495 and 496 (bad or missing certificate): a URL or
	// a path; "" for nginx's own 400.
	ErrorPage string
	// PassCertificate sends the certificate in ssl-client-cert.
	PassCertificate bool
	// MatchCN is the regex the subject DN must match ("" for none), as
	// rendered: spaces written \x20.
	MatchCN string
	// Owner is the Ingress (namespace/name) whose settings these are.
	Owner string
}

// HostRedirect is a server that answers every request for From with a 308
// to the same URI on To (from-to-www-redirect).
type HostRedirect struct {
	From, To string
	// CertFile is To's certificate when it also covers From; "" leaves
	// the handshake to the catch-all's certificate.
	CertFile string
}

// MatchKind is how a location matches the request path.
type MatchKind int

const (
	// MatchExact is nginx's `location = /p`.
	MatchExact MatchKind = iota
	// MatchPrefix is nginx's `location /p`: a plain string prefix.
	MatchPrefix
	// MatchRegex is nginx's `location ~* "^/p"` (use-regex, rewrite-target):
	// a case-insensitive regex anchored at the start. Path holds the
	// validated regex without the anchor.
	MatchRegex
)

// ForwardHeader is one proxy_set_header/grpc_set_header of ForwardHeaders:
// Value is an nginx expression built by Go from fixed parts, never from
// user input.
type ForwardHeader struct{ Name, Value string }

// Location is one nginx location with its already-decided backend.
type Location struct {
	Match MatchKind
	Path  string
	// Upstream names the upstream to proxy to; empty means answer Status
	// (or proxy to DefaultUpstream when there is one).
	Upstream string
	// UpstreamName is what the access log's $proxy_upstream_name prints
	// for the location's requests: ingress-nginx's name for its backend
	// (upstreamName, or upstream-default-backend for
	// --default-backend-service), set like ingress-nginx before anything
	// answers, so redirects and refusals log it too. "" leaves the
	// http-level "-".
	UpstreamName string
	// Status is returned when there is no upstream (404 no route, 503 broken
	// backend). An upstream without ready endpoints is not decided here: its
	// endpoints change without a reload, and nginx answers 503 itself.
	Status int
	// Source says which Ingress (namespace/name) put it here; rendered as a comment.
	Source string
	// RedirectHTTPS answers plain HTTP with a 308 to HTTPS; with
	// RedirectKeepSlash the URI keeps a trailing "/" (preserve-trailing-slash).
	RedirectHTTPS     bool
	RedirectKeepSlash bool
	// Redirect answers every request with a redirect (permanent-redirect,
	// temporal-redirect, app-root) instead of proxying.
	Redirect *Redirect
	// Deny and Allow are source CIDRs: deny first, then allow; with any
	// Allow, everything else is denied.
	Deny  []string
	Allow []string
	// Proxy holds per-location proxy settings from annotations; zero
	// values keep the http-level defaults.
	Proxy ProxySettings
	// Rewrite changes the URI sent to the endpoints (rewrite-target).
	Rewrite *Rewrite
	// CORS is enable-cors with its settings (nil: off).
	CORS *CORS
	// Identity names the Ingress, Service and path for the access log's
	// $namespace, $ingress_name, ... (nil: not from an Ingress rule).
	Identity *Identity
	// ErrorPages send responses with these codes to a named location
	// (custom-http-errors); the first page of a code wins.
	ErrorPages []ErrorPage
	// PassErrors is disable-proxy-intercept-errors: the endpoints' own
	// answers with ErrorPages codes reach the client unchanged (no
	// proxy_intercept_errors); the errors nginx makes itself still get
	// the pages.
	PassErrors bool
	// NoEndpointError ends a request whose upstream has no ready endpoint
	// with nginx's own 503 (Lua, rewrite phase), so that its error page
	// answers: the sink's 503 is a proxied answer, which PassErrors would
	// let through. Set with PassErrors and a 503 page, but not for gRPC.
	NoEndpointError bool
	// DefaultUpstream is the default-backend annotation's upstream: it
	// serves the requests when Upstream has no ready endpoint, or when
	// Upstream is empty because the backend cannot be used (Status is then
	// only its fallback), with X-Code 503 and the error headers.
	DefaultUpstream string
	// DefaultUpstreamName replaces UpstreamName when DefaultUpstream takes
	// a request: ingress-nginx's "custom-default-backend-<namespace>-<service>".
	DefaultUpstreamName string
	// ErrorInfo is what the default backend is told about this location;
	// set when it has ErrorPages or a DefaultUpstream.
	ErrorInfo *ErrorInfo
	// Headers are custom-headers: set on every response, replacing the
	// endpoint's.
	Headers []Header
	// ProxySetHeaders are proxy-set-headers' headers repeated in a location
	// with RequestHeaders of its own (which stops nginx inheriting the
	// http-level ones), less those RequestHeaders name: they win.
	ProxySetHeaders []Header
	// ClearGlobalHeaders are add-headers' names this location sets itself
	// (custom-headers, CORS): cleared first so that only its own is sent.
	ClearGlobalHeaders []string
	// ReaddHSTS repeats the http-level HSTS header, which a location's own
	// add_header directives hide (set by config()).
	ReaddHSTS bool
	// HideHeaders repeats the ConfigMap's hide-headers in a location
	// with *_hide_header directives of its own, which nginx's inherited
	// ones then do not reach (set by config()).
	HideHeaders []string
	// Balance is load-balance, upstream-hash-by or affinity when they
	// differ from the ConfigMap's default (nil: the common balancer);
	// always set with a Canary. See balance.go and canary.go.
	Balance *Balance
	Canary  *Canary
	// Limits are the rate limits of the location's Ingress (nil: none).
	Limits *Limits
	// Mirror copies each request to a mirror location (nil: none).
	Mirror *Mirror
	// Satisfy is nginx's satisfy, "any" or "all" ("": nginx's default, all).
	Satisfy string
	// BasicAuth is auth-type basic (nil: none).
	BasicAuth *BasicAuth
	// ExternalAuth is auth-url (nil: none).
	ExternalAuth *ExternalAuth
	// RequestHeaders are request headers for the endpoints besides the
	// http-level ones; a location with any repeats the http-level
	// proxy_set_header (grpc_set_header) lines, which nginx drops in a
	// location that has its own (set by config()).
	RequestHeaders []RequestHeader
	// RequireTLS answers plain-HTTP requests 403: the location's Ingress
	// requires client certificates, which only HTTPS requests carry.
	RequireTLS bool
}

// Policy says the location proxies to the policy balancer (atrium_policy).
func (l Location) Policy() bool { return l.Balance != nil }

// Tracked says the location needs atrium.lua in the log phase.
func (l Location) Tracked() bool {
	return (l.Balance != nil && l.Balance.Tracked()) || l.Canary.Tracked()
}

// Limits are the limit-* annotations of one Ingress. Zones are per Ingress
// and per client address (Key), as in ingress-nginx; the allow-listed
// addresses get an empty key, which nginx does not count.
type Limits struct {
	// ID is a hash of the Ingress's namespace and name: the zone key
	// variables are atrium_limit_<ID> and atrium_limit_allow_<ID>. nginx
	// refuses a reload that gives a zone another key, so each zone's key
	// depends only on the zone's name. "" when no zone is needed.
	ID string
	// Zone starts the zone names: Zone+"_conn", "_rps", "_rpm".
	Zone string
	// Source names the Ingress (namespace/name), for a comment.
	Source string
	// Conn, RPS and RPM are the limits (0: off); RPSBurst and RPMBurst
	// the bursts (limit times limit-burst-multiplier).
	Conn, RPS, RPM     int
	RPSBurst, RPMBurst int
	// Allow are the CIDRs that are not counted (limit-allowlist).
	Allow []string
	// Rate and RateAfter are limit-rate and limit-rate-after in KiB (0: off).
	Rate, RateAfter int
}

// Mirror is mirror-target with its settings: the location copies each
// request to the internal location Location, which proxies it to URL.
type Mirror struct {
	// Location is the internal location's URI, which no Ingress path can
	// be ('|' is not a path character).
	Location string
	// URL is the validated target without $request_uri.
	URL string
	// RequestURI appends the client's URI ($request_uri); else HasPath
	// sends URL's path with the client's query, as a static proxy_pass
	// would; else the location's own URI goes with the query.
	RequestURI, HasPath bool
	// Host is the Host header sent to the mirror.
	Host string
	// RequestBody is mirror-request-body.
	RequestBody bool
}

// RequestHeader is one request header sent to the endpoints: the value of
// an nginx variable Build chose, or nothing (the client's is removed).
type RequestHeader struct {
	Name string // validated: letters, digits, '-' and '_'
	Var  string // variable name without '$'; "" removes the header
}

// BasicAuth is nginx's auth_basic with a password file.
type BasicAuth struct {
	Realm string
	File  string // absolute path of the validated password file
}

// ExternalAuth is auth-url and its companions, validated, with
// ingress-nginx's defaults.
type ExternalAuth struct {
	URL  string
	Host string // the URL's host name: the Host header the service gets
	// Method is auth-method ("": the client's).
	Method string
	// RequestRedirect is X-Auth-Request-Redirect ("": the request URI).
	RequestRedirect string
	// ResponseHeaders are passed from the service's answer to the endpoints.
	ResponseHeaders []AuthResponseHeader
	// ProxySetHeaders are auth-proxy-set-headers', sent to the service
	// (values with allow-listed variables, configmap.ParseVarText).
	ProxySetHeaders []Header
	AlwaysSetCookie bool
	// Signin is where a 401 is redirected (nil: the 401 is the answer).
	Signin *Signin
	// ClientCertHeaders are the ssl-client-* headers of a server that
	// verifies client certificates, which the service gets too (set by
	// config()).
	ClientCertHeaders []RequestHeader
	// Cache is auth-cache-key with auth-cache-duration (nil: every request
	// asks the service).
	Cache *AuthCache
	// Location is the internal location's URI and Index its number in the
	// server (set by config()).
	Location string
	Index    int
}

// AuthCache caches the auth-url answers in nginx's proxy cache. The key
// is evaluated in the location that asks (a `set`), not in the auth
// subrequest, whose $uri, $args and $arg_* are its own; it starts with
// Scope, so that answers are never shared between servers, locations or
// auth URLs.
type AuthCache struct {
	// Scope is a hash of the server name, the location and the auth URL
	// and method (set by config()).
	Scope string
	// Key is auth-cache-key, validated; Valid the proxy_cache_valid
	// arguments of auth-cache-duration, validated, each split in its words.
	Key   []annotations.HashPart
	Valid [][]string
}

// AuthResponseHeader is one header of auth-response-headers: Upstream is
// nginx's variable for it in the auth answer ("upstream_http_x_user"),
// Var the variable that carries it to the main request.
type AuthResponseHeader struct {
	Name, Upstream, Var string
}

// Signin is auth-signin: a 302 to URL, followed (when AddRedirect) by the
// original URL, escaped, as the redirect parameter's value.
type Signin struct {
	URL         string // ends with "?<param>=" or "&<param>=" when AddRedirect
	AddRedirect bool
	// Location is the named location that answers (set by config()).
	Location string
}

// ErrorPage is nginx's `error_page <Code> = <Location>`.
type ErrorPage struct {
	Code     int
	Location string
}

// ErrorInfo feeds the X-Namespace, X-Ingress-Name, X-Service-Name and
// X-Service-Port headers of the error locations (names validated, else
// empty).
type ErrorInfo struct {
	Namespace, Ingress, Service, Port string
}

// Identity is what ingress-nginx's per-location log variables hold
// ($namespace, $ingress_name, $service_name, $service_port,
// $location_path); it is rendered only when log-format-upstream uses them.
type Identity struct {
	ErrorInfo
	Path string
}

// ErrorLocation is a named location that answers for the locations whose
// error pages name it: Upstream gets the request with the URI "/" and only
// the error headers (X-Code and those of ErrorInfo), as ingress-nginx's
// custom error locations do.
type ErrorLocation struct {
	Name string
	// Code is the X-Code header.
	Code int
	// Upstream is the default backend; "" answers 404 itself (Atrium's
	// built-in default backend).
	Upstream string
	// Next names the error location that answers when Upstream has no
	// ready endpoint ("" answers 503).
	Next string
	// UpstreamName is the access log's $proxy_upstream_name for the
	// answers of this location, which replaces the failed location's:
	// ingress-nginx's name of the default backend (upstream-default-backend
	// for the built-in one, as ingress-nginx's internal 404 server).
	UpstreamName string
}

// CORS are a location's CORS answers (enable-cors and cors-*), formatted.
type CORS struct {
	// OriginRegex is the map regex of the allowed origins, built by Build
	// from validated origins; empty when every origin is allowed ("*").
	OriginRegex string
	// OriginVar names the map variable (without '$') holding the request's
	// Origin when OriginRegex matches it; set by config() from OriginRegex.
	OriginVar   string
	Methods     string // "GET,PUT"
	Headers     string
	Expose      string // "" for none
	Credentials bool
	MaxAge      string // seconds
}

// CORSMap is an nginx map from $http_origin to the Origin when it is allowed.
type CORSMap struct {
	Var   string // variable name without '$'
	Regex string // "~*^(...)$"
}

// Rewrite is nginx's `rewrite <Regex> <Target> break;`.
type Rewrite struct {
	Regex  string // "(?i)" and the validated path regex
	Target string // validated: path characters and $1-$9
}

// Redirect is a fixed redirect answer.
type Redirect struct {
	Code int
	// URL is an absolute URL, or a path to which nginx prefixes the
	// request's scheme and Host (PathOnly).
	URL      string
	PathOnly bool
}

// ProxySettings are location-level proxy directives, already formatted.
type ProxySettings struct {
	ClientMaxBodySize string // "8m"
	ConnectTimeout    string // "5s"
	ReadTimeout       string
	SendTimeout       string
	Buffering         string // "on"/"off"
	RequestBuffering  string
	HTTPVersion       string // "1.0"/"1.1"
	UpstreamVhost     string // Host header to endpoints
	XForwardedPrefix  string
	// Protocol is backend-protocol: "" (HTTP), "HTTPS", "GRPC" or "GRPCS".
	Protocol string
	// NextUpstream are proxy-next-upstream's conditions ("error", "http_502"...).
	NextUpstream      []string
	NextUpstreamTries string // "0"-"100"
	// NextUpstreamTimeout is proxy-next-upstream-timeout: "30s" ("0s": no limit).
	NextUpstreamTimeout string
	// BufferSize and BuffersNumber are proxy-buffer-size ("16k") and
	// proxy-buffers-number (3-256), set together when either annotation
	// is, the other one then the ConfigMap's.
	BufferSize    string
	BuffersNumber int
	// MaxTempFileSize is proxy-max-temp-file-size: "0" or at least the
	// buffer size (nginx's rule).
	MaxTempFileSize  string
	ClientBodyBuffer string // client-body-buffer-size
	// Connection is the Connection header to endpoints (connection-proxy-header).
	Connection string
	// AccessLogOff is enable-access-log "false".
	AccessLogOff bool
	// RewriteLog is enable-rewrite-log "true" (nginx's rewrite_log).
	RewriteLog bool
	// CookieDomain, CookiePath and RedirectRewrite are proxy-cookie-domain,
	// proxy-cookie-path and proxy-redirect-from/-to (nil: off; never set
	// for gRPC). See proxyrewrite.go.
	CookieDomain    *TextRewrite
	CookiePath      *TextRewrite
	RedirectRewrite *RedirectRewrite
	// TLS is proxy-ssl-* for HTTPS and GRPCS endpoints (nil: nginx's
	// defaults, no verification and no SNI).
	TLS *BackendTLS
}

// BackendTLS is how nginx speaks TLS to the endpoints (proxy-ssl-*), with
// ingress-nginx's defaults already applied.
type BackendTLS struct {
	// CertFile is the absolute path of the client certificate and key
	// (one PEM file) presented to the endpoints; "" for none.
	CertFile string
	// CAFile is the absolute path of the CAs Verify trusts; "" for none.
	CAFile      string
	Verify      bool
	VerifyDepth string // "1"-"100"
	// Name is the name verified and sent as SNI ("" leaves nginx's
	// default, the upstream block's name).
	Name       string
	ServerName bool
	Protocols  []string // "TLSv1.2"...
	Ciphers    string
	// Pool names the upstream block this location proxies through (set by
	// config()): locations share one only when all the settings above and
	// the protocol are the same, so a keepalive connection that was
	// verified, or that carries a client certificate, for one never serves
	// a location with other settings.
	Pool string
}

// GRPC says the endpoints speak gRPC (grpc_pass and grpc_* directives).
func (p ProxySettings) GRPC() bool { return p.Protocol == "GRPC" || p.Protocol == "GRPCS" }

// sameTarget says whether two locations answer alike (Source aside), which
// decides whether two Ingresses really conflict.
func sameTarget(a, b Location) bool {
	a.Source, b.Source = "", ""
	a.Identity, b.Identity = nil, nil   // which Ingress: not what is served
	a.ErrorInfo, b.ErrorInfo = nil, nil // like Source, it names the Ingress
	// Only logged: port 80 and port "http" of one Service are one target.
	a.UpstreamName, b.UpstreamName = "", ""
	return reflect.DeepEqual(a, b)
}

// Upstream is a load-balanced group of endpoints of one Service port. Its
// servers are not in nginx.conf: they go to nginx as the endpoint table
// (see EndpointTable), so endpoint changes need no reload.
type Upstream struct {
	Name    string
	Servers []string // "ip:port", sorted; may be empty (nginx answers 503)
}
