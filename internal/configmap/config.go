package configmap

// Config is the typed result, with ingress-nginx's defaults.
type Config struct {
	ProxyBodySize       string // nginx size
	ProxyConnectTimeout int    // seconds
	ProxyReadTimeout    int
	ProxySendTimeout    int
	// ProxyBufferSize is the buffer for an endpoint's response headers and
	// the size of each response buffer ("4k"); ProxyBuffersNumber is how
	// many of those a request may use.
	ProxyBufferSize    string
	ProxyBuffersNumber int
	// ClientBodyBufferSize is how much of a request body stays in memory.
	ClientBodyBufferSize string
	// ProxyRequestBuffering reads whole request bodies before proxying.
	ProxyRequestBuffering bool
	// ProxyNextUpstream are the conditions to try another endpoint on
	// ("error", "http_502"...; "off" alone for never).
	ProxyNextUpstream []string
	// ProxyNextUpstreamTries bounds the tries of a request, the first one
	// included (0: one per endpoint); ProxyNextUpstreamTimeout the seconds
	// within which retries may start (0: no limit).
	ProxyNextUpstreamTries   int
	ProxyNextUpstreamTimeout int

	UseForwardedHeaders     bool
	ForwardedForHeader      string
	ComputeFullForwardedFor bool
	EnableRealIP            bool
	ProxyRealIPCIDR         []string
	// UseProxyProtocol expects the PROXY protocol on the HTTP and HTTPS
	// ports (a load balancer in front sends the client's address in it).
	UseProxyProtocol bool

	SSLProtocols          []string
	SSLCiphers            string
	HSTS                  bool
	HSTSMaxAge            int
	HSTSIncludeSubdomains bool
	HSTSPreload           bool
	SSLRedirect           bool
	// SSLSessionCache keeps TLS sessions in a cache shared by the workers,
	// of SSLSessionCacheSize ("10m"), for SSLSessionTimeout (an nginx
	// time, "10m"); SSLSessionTickets resumes with session tickets.
	SSLSessionCache     bool
	SSLSessionCacheSize string
	SSLSessionTimeout   string
	SSLSessionTickets   bool
	// HTTPRedirectCode is the status of the HTTPS and from-to-www
	// redirects: "301", "302", "307" or "308".
	HTTPRedirectCode string
	// ProxyBuffering is "on" or "off" (proxy_buffering).
	ProxyBuffering string
	// NoTLSRedirectLocations are path prefixes never redirected to HTTPS.
	NoTLSRedirectLocations []string
	UseHTTP2               bool

	UseGzip   bool
	GzipLevel int
	GzipTypes []string

	ServerTokens                 bool
	KeepAlive                    int
	KeepAliveRequests            int
	UpstreamKeepaliveConnections int
	UpstreamKeepaliveTimeout     int
	// UpstreamKeepaliveRequests is how many requests one connection to an
	// endpoint carries before it is closed.
	UpstreamKeepaliveRequests int

	// WorkerProcesses and WorkerShutdownTimeout are empty/0 unless set:
	// the controller's flags apply then.
	WorkerProcesses       string
	MaxWorkerConnections  int
	WorkerShutdownTimeout int

	ClientHeaderBufferSize   string
	LargeClientHeaderBuffers string // "4 8k"
	ClientBodyTimeout        int
	ClientHeaderTimeout      int
	// EnableUnderscoresInHeaders accepts request header names with '_';
	// IgnoreInvalidHeaders drops headers with invalid names (those too,
	// without EnableUnderscoresInHeaders) instead of passing them on.
	EnableUnderscoresInHeaders bool
	IgnoreInvalidHeaders       bool
	// GenerateRequestID makes up an X-Request-ID for requests without one.
	GenerateRequestID bool

	ErrorLogLevel   string
	BlockCIDRs      []string
	BlockUserAgents []string

	LogFormat           LogFormat // zero: nginx's combined format; default DefaultLogFormat
	LogFormatEscapeJSON bool
	LogFormatEscapeNone bool
	AccessLogPath       string // "": the --access-log flag
	DisableAccessLog    bool
	// SkipAccessLogURLs are request URIs ($request_uri, compared without
	// case) that are not logged; unique without case, as nginx's map needs.
	SkipAccessLogURLs []string
	// CustomHTTPErrors are status codes (400-599, sorted) whose responses
	// the default backend answers instead, everywhere but on paths of
	// Ingresses with their own custom-http-errors annotation.
	CustomHTTPErrors []int
	// AllowedResponseHeaders are the header names the custom-headers
	// annotation may set (global-allowed-response-headers); exact names.
	AllowedResponseHeaders []string
	// GlobalAuth is global-auth-*: auth-url and its companions for every
	// Ingress without its own (URL "": none); NoAuthLocations are path
	// prefixes it leaves out.
	GlobalAuth      GlobalAuth
	NoAuthLocations []string
	// AddHeaders and ProxySetHeaders name ConfigMaps ("namespace/name",
	// "" for none) of response headers for every answer and of request
	// headers for every endpoint.
	AddHeaders, ProxySetHeaders string
	// HideHeaders are endpoint response headers never passed to clients.
	HideHeaders []string

	// LoadBalance is the default algorithm: "round_robin", "least_conn"
	// or "ewma".
	LoadBalance string

	// LimitReqStatusCode and LimitConnStatusCode answer requests refused
	// by limit-rps/limit-rpm and by limit-connections.
	LimitReqStatusCode  int
	LimitConnStatusCode int
}

// Defaults are ingress-nginx's defaults for the supported keys.
func Defaults() Config {
	return Config{
		ProxyBodySize:       "1m",
		ProxyConnectTimeout: 5,
		ProxyReadTimeout:    60,
		ProxySendTimeout:    60,

		ProxyBufferSize:          "4k",
		ProxyBuffersNumber:       4,
		ClientBodyBufferSize:     "8k",
		ProxyRequestBuffering:    true,
		ProxyNextUpstream:        []string{"error", "timeout"},
		ProxyNextUpstreamTries:   3,
		ProxyNextUpstreamTimeout: 0,

		ForwardedForHeader: "X-Forwarded-For",
		ProxyRealIPCIDR:    []string{"0.0.0.0/0"},

		SSLProtocols:           []string{"TLSv1.2", "TLSv1.3"},
		SSLCiphers:             "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
		HSTS:                   true,
		HSTSMaxAge:             31536000,
		HSTSIncludeSubdomains:  true,
		SSLRedirect:            true,
		SSLSessionCache:        true,
		SSLSessionCacheSize:    "10m",
		SSLSessionTimeout:      "10m",
		HTTPRedirectCode:       "308",
		NoAuthLocations:        []string{"/.well-known/acme-challenge"},
		NoTLSRedirectLocations: []string{"/.well-known/acme-challenge"},
		UseHTTP2:               true,

		GzipLevel: 1,
		GzipTypes: []string{"application/atom+xml", "application/javascript", "application/json", "application/rss+xml",
			"application/vnd.ms-fontobject", "application/x-font-ttf", "application/x-javascript", "application/x-web-app-manifest+json",
			"application/xhtml+xml", "application/xml", "font/opentype", "image/svg+xml", "image/x-icon",
			"text/css", "text/javascript", "text/plain", "text/x-component"},

		KeepAlive:                    75,
		KeepAliveRequests:            1000,
		UpstreamKeepaliveConnections: 320,
		UpstreamKeepaliveTimeout:     60,
		UpstreamKeepaliveRequests:    10000,

		MaxWorkerConnections: 16384,

		ClientHeaderBufferSize:   "1k",
		LargeClientHeaderBuffers: "4 8k",
		ClientBodyTimeout:        60,
		ClientHeaderTimeout:      60,
		IgnoreInvalidHeaders:     true,
		GenerateRequestID:        true,

		ErrorLogLevel: "notice",
		LogFormat:     defaultLogFormat(),

		LoadBalance:         "round_robin",
		LimitReqStatusCode:  503,
		LimitConnStatusCode: 503,
	}
}
