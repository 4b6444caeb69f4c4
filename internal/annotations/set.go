package annotations

import "time"

// Set holds the parsed annotations of one Ingress. Every field belongs to
// one annotation (or a documented pair); nil means "not set".
type Set struct {
	ProxyBodySize          *Size
	ProxyConnectTimeout    *time.Duration
	ProxyReadTimeout       *time.Duration
	ProxySendTimeout       *time.Duration
	ProxyBuffering         *bool
	ProxyRequestBuffering  *bool
	ProxyHTTPVersion       *string // "1.0" or "1.1"
	BackendProtocol        *string // "HTTP", "HTTPS", "GRPC" or "GRPCS"
	ProxyNextUpstream      []string
	ProxyNextUpstreamTries *int
	// ProxyNextUpstreamTimeout is in seconds (0: no limit).
	ProxyNextUpstreamTimeout *int
	ProxyBufferSize          *Size
	ProxyBuffersNumber       *int // 3-256
	// ProxyMaxTempFileSize may be "0" (no temporary file); the core checks
	// it against the buffer size, which nginx requires.
	ProxyMaxTempFileSize  *Size
	ClientBodyBufferSize  *Size
	ConnectionProxyHeader *string // "keep-alive", "close" or "upgrade"
	EnableAccessLog       *bool
	EnableRewriteLog      *bool
	// proxy-cookie-domain and proxy-cookie-path (zero TextPair: "off"),
	// proxy-redirect-from ("off", "default" or a URL or path) and
	// proxy-redirect-to ("off" or a URL or path), all validated literals.
	ProxyCookieDomain *TextPair
	ProxyCookiePath   *TextPair
	ProxyRedirectFrom *string
	ProxyRedirectTo   *string

	SSLRedirect      *bool
	ForceSSLRedirect *bool
	// PreserveTrailingSlash keeps the URI as sent in the redirect to HTTPS.
	PreserveTrailingSlash *bool

	PermanentRedirect     *string
	PermanentRedirectCode *int
	TemporalRedirect      *string

	AllowSourceRange []CIDR // whitelist-source-range / allowlist-source-range
	DenySourceRange  []CIDR

	XForwardedPrefix *string
	UpstreamVhost    *string
	AppRoot          *string

	// enable-cors and the cors-* annotations, validated; the core applies
	// ingress-nginx's defaults.
	EnableCORS           *bool
	CORSAllowOrigin      []string // "*" alone, or origins in lower case
	CORSAllowMethods     *string  // joined by ","
	CORSAllowHeaders     *string
	CORSExposeHeaders    *string
	CORSAllowCredentials *bool
	CORSMaxAge           *int

	// UseRegex and RewriteTarget make paths regular expressions; the core
	// applies that to every path of the Ingress's hosts.
	UseRegex      *bool
	RewriteTarget *string // validated: path characters and $1-$9

	// Hosts and error answers: from-to-www-redirect, server-alias
	// (validated names, sorted), default-backend (a Service name) and
	// custom-http-errors (codes 400-599, sorted).
	FromToWWWRedirect *bool
	ServerAlias       []string
	DefaultBackend    *string
	CustomHTTPErrors  []int
	// DisableProxyInterceptErrors is disable-proxy-intercept-errors: the
	// endpoints' answers with custom-http-errors codes pass unchanged.
	DisableProxyInterceptErrors *bool
	// ServiceUpstream is service-upstream: the Service's ClusterIP instead
	// of its endpoints.
	ServiceUpstream *bool

	// The proxy-ssl-* annotations, validated; the core applies
	// ingress-nginx's defaults and its rule that they need ProxySSLSecret.
	ProxySSLSecret      *ObjectName
	ProxySSLVerify      *bool
	ProxySSLVerifyDepth *int // 1-100
	ProxySSLName        *string
	ProxySSLServerName  *bool
	ProxySSLProtocols   []string // sorted, without duplicates
	ProxySSLCiphers     *string

	// CustomHeaders names the ConfigMap of custom-headers.
	CustomHeaders *ObjectName

	// Load balancing: load-balance ("round_robin", "least_conn" or
	// "ewma") and upstream-hash-by (the key's parts, validated).
	LoadBalance    *string
	UpstreamHashBy []HashPart
	// UpstreamHashBySubset and UpstreamHashBySubsetSize are
	// upstream-hash-by-subset and upstream-hash-by-subset-size.
	UpstreamHashBySubset     *bool
	UpstreamHashBySubsetSize *int

	// affinity ("cookie"), affinity-mode ("balanced" or "persistent"),
	// affinity-canary-behavior ("sticky" or "legacy") and the
	// session-cookie-* annotations, validated.
	Affinity                             *string
	AffinityMode                         *string
	AffinityCanaryBehavior               *string
	SessionCookieName                    *string
	SessionCookiePath                    *string
	SessionCookieDomain                  *string
	SessionCookieMaxAge                  *int
	SessionCookieExpires                 *int
	SessionCookieSameSite                *string // "None", "Lax" or "Strict"
	SessionCookieConditionalSameSiteNone *bool
	SessionCookieSecure                  *bool
	SessionCookiePartitioned             *bool
	SessionCookieChangeOnFailure         *bool

	// canary and the canary-* annotations, validated.
	Canary                *bool
	CanaryByHeader        *string
	CanaryByHeaderValue   *string
	CanaryByHeaderPattern *string // a regex; the core encodes it before it reaches nginx.conf
	CanaryByCookie        *string
	CanaryWeight          *int
	CanaryWeightTotal     *int

	// Rate limits (limit-*), whole numbers with 0 meaning off; LimitRate
	// and LimitRateAfter are in KiB. LimitAllowlist is limit-allowlist, or
	// limit-whitelist when limit-allowlist is absent (finish).
	LimitRPS             *int
	LimitRPM             *int
	LimitConnections     *int
	LimitBurstMultiplier *int
	LimitRate            *int
	LimitRateAfter       *int
	LimitAllowlist       []CIDR
	limitWhitelist       []CIDR

	// Mirroring: mirror-target, mirror-host, mirror-request-body.
	MirrorTarget      *MirrorTarget
	MirrorHost        *string
	MirrorRequestBody *bool

	SSLPassthrough *bool
	// ssl-ciphers (an OpenSSL cipher list that selects a cipher) and
	// ssl-prefer-server-ciphers, for the Ingress's hosts.
	SSLCiphers             *string
	SSLPreferServerCiphers *bool
	Satisfy                *string // "any" or "all"
	// Basic authentication: auth-type (only "basic"), auth-secret
	// (Namespace "" when only the name is given), auth-secret-type
	// ("auth-file" or "auth-map") and auth-realm.
	AuthType       *string
	AuthSecret     *ObjectName
	AuthSecretType *string
	AuthRealm      *string

	// External authentication: auth-url (with its host name) and the
	// annotations that only mean something with it.
	AuthURL                 *string
	AuthURLHost             string
	AuthMethod              *string // upper case
	AuthSignin              *string // an absolute URL or a path
	AuthSigninRedirectParam *string
	AuthResponseHeaders     []string // in the order given, without duplicates
	// EnableGlobalAuth is enable-global-auth (nil: true).
	EnableGlobalAuth *bool
	// AuthProxySetHeaders names the ConfigMap of auth-proxy-set-headers.
	AuthProxySetHeaders *ObjectName
	AuthRequestRedirect *string
	AuthAlwaysSetCookie *bool
	// auth-cache-key (validated as upstream-hash-by's key, without the
	// regex captures) and auth-cache-duration (proxy_cache_valid
	// arguments, validated).
	AuthCacheKey      []HashPart
	AuthCacheDuration []string

	// Client certificates: auth-tls-secret and the annotations that only
	// mean something with it.
	AuthTLSSecret          *ObjectName
	AuthTLSVerifyClient    *string // "on", "off", "optional" or "optional_no_ca"
	AuthTLSVerifyDepth     *int    // 1-100
	AuthTLSErrorPage       *string // an absolute URL or a path
	AuthTLSPassCertificate *bool
	AuthTLSMatchCN         *string // "CN=" and a validated regex
}

// CanaryConfigured says whether any canary-* annotation is set (with or
// without canary itself).
func (s *Set) CanaryConfigured() bool {
	return s.CanaryByHeader != nil || s.CanaryByHeaderValue != nil || s.CanaryByHeaderPattern != nil ||
		s.CanaryByCookie != nil || s.CanaryWeight != nil || s.CanaryWeightTotal != nil
}

// finish applies the rules between annotations after all are parsed.
func (s *Set) finish() {
	// ingress-nginx: the annotation wins over its older alias.
	if s.LimitAllowlist == nil {
		s.LimitAllowlist = s.limitWhitelist
	}
	s.limitWhitelist = nil
}
