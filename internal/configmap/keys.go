package configmap

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// Proxying defaults (annotations override them per Ingress).
func init() {
	sizeKey("proxy-body-size", "Largest request body (nginx `client_max_body_size`); default 1m.", func(c *Config) *string { return &c.ProxyBodySize })
	intKey("proxy-connect-timeout", "Seconds to connect to an endpoint; default 5.", 1, 3600, func(c *Config) *int { return &c.ProxyConnectTimeout })
	intKey("proxy-read-timeout", "Seconds between two reads from an endpoint; default 60.", 1, 86400, func(c *Config) *int { return &c.ProxyReadTimeout })
	intKey("proxy-send-timeout", "Seconds between two writes to an endpoint; default 60.", 1, 86400, func(c *Config) *int { return &c.ProxySendTimeout })
	enumKey("proxy-buffering", "`on` or `off`: buffer answers from endpoints (the `proxy-buffering` annotation overrides it); default off, as ingress-nginx: answers stream to the client.", []string{"on", "off"}, func(c *Config) *string { return &c.ProxyBuffering })

	// The defaults of the annotations of the same name, which take the
	// same values (package annotations validates both).
	annotationKey("proxy-buffer-size", "Buffer for an endpoint's response headers, and size of each of the `proxy-buffers-number` response buffers (nginx `proxy_buffer_size` and `proxy_buffers`): an answer whose headers do not fit is a 502; 1k to 1m; the `proxy-buffer-size` annotation overrides it; default 4k.",
		func(s annotations.Set, c *Config) { c.ProxyBufferSize = string(*s.ProxyBufferSize) },
		func(dst *Config, prev Config) { dst.ProxyBufferSize = prev.ProxyBufferSize })
	annotationKey("proxy-buffers-number", "Number of response buffers per request (nginx `proxy_buffers`), each of `proxy-buffer-size` (or of the `proxy-buffer-size` annotation's size); 3 to 256 (nginx keeps two buffers' worth for sending, so it refuses fewer than 3); the `proxy-buffers-number` annotation overrides it; default 4.",
		func(s annotations.Set, c *Config) { c.ProxyBuffersNumber = *s.ProxyBuffersNumber },
		func(dst *Config, prev Config) { dst.ProxyBuffersNumber = prev.ProxyBuffersNumber })
	annotationKey("client-body-buffer-size", "Request bodies up to this size are kept in memory, larger ones go to a temporary file (nginx `client_body_buffer_size`); 1k to 64m; the `client-body-buffer-size` annotation overrides it; default 8k.",
		func(s annotations.Set, c *Config) { c.ClientBodyBufferSize = string(*s.ClientBodyBufferSize) },
		func(dst *Config, prev Config) { dst.ClientBodyBufferSize = prev.ClientBodyBufferSize })
	annotationKey("proxy-request-buffering", "`on` or `off`: read the whole request body before proxying the request (nginx `proxy_request_buffering`); off streams it to the endpoint as it comes; the `proxy-request-buffering` annotation overrides it; default on.",
		func(s annotations.Set, c *Config) { c.ProxyRequestBuffering = *s.ProxyRequestBuffering },
		func(dst *Config, prev Config) { dst.ProxyRequestBuffering = prev.ProxyRequestBuffering })
	annotationKey("proxy-next-upstream", "When a request goes to another endpoint (nginx `proxy_next_upstream` and `grpc_next_upstream`): space-separated `error timeout invalid_header http_500 http_502 http_503 http_504 http_403 http_404 http_429 non_idempotent`, or `off` alone; the `proxy-next-upstream` annotation overrides it; default `error timeout`.",
		func(s annotations.Set, c *Config) { c.ProxyNextUpstream = s.ProxyNextUpstream },
		func(dst *Config, prev Config) {
			dst.ProxyNextUpstream = append([]string(nil), prev.ProxyNextUpstream...)
		})
	annotationKey("proxy-next-upstream-tries", "Most tries of one request, the first one included, 0 to 100; `0`: one per endpoint (Atrium tries each endpoint at most once per request); the `proxy-next-upstream-tries` annotation overrides it; default 3.",
		func(s annotations.Set, c *Config) { c.ProxyNextUpstreamTries = *s.ProxyNextUpstreamTries },
		func(dst *Config, prev Config) { dst.ProxyNextUpstreamTries = prev.ProxyNextUpstreamTries })
	annotationKey("proxy-next-upstream-timeout", "Seconds since a request's first try after which it is not tried on another endpoint any more (nginx `proxy_next_upstream_timeout` and `grpc_next_upstream_timeout`), 0 to 86400; 0: no limit; the `proxy-next-upstream-timeout` annotation overrides it; default 0.",
		func(s annotations.Set, c *Config) { c.ProxyNextUpstreamTimeout = *s.ProxyNextUpstreamTimeout },
		func(dst *Config, prev Config) { dst.ProxyNextUpstreamTimeout = prev.ProxyNextUpstreamTimeout })
}

// Client addresses behind a load balancer.
func init() {
	boolKey("use-forwarded-headers", "Trust X-Forwarded-* headers from clients (only behind a proxy that sets them); default false.", func(c *Config) *bool { return &c.UseForwardedHeaders })
	register(Key{Name: "forwarded-for-header", Doc: "Header that carries the client address when `use-forwarded-headers` or `enable-real-ip` is on; default X-Forwarded-For.",
		Parse: func(v string, c *Config) error {
			t, err := token(strings.TrimSpace(v))
			if err != nil || strings.Contains(t, "/") {
				return fmt.Errorf("%q is not a header name", v)
			}
			c.ForwardedForHeader = t
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.ForwardedForHeader = prev.ForwardedForHeader },
	})
	boolKey("compute-full-forwarded-for", "Append the client address to the incoming X-Forwarded-For instead of replacing it (with `use-forwarded-headers`); default false.", func(c *Config) *bool { return &c.ComputeFullForwardedFor })
	boolKey("enable-real-ip", "Take the client address from `forwarded-for-header` when the peer is in `proxy-real-ip-cidr`; default false.", func(c *Config) *bool { return &c.EnableRealIP })
	boolKey("use-proxy-protocol", "Expect the PROXY protocol (v1 or v2) on the HTTP and HTTPS ports, as a load balancer in front sends it (AWS NLB and ELB, DigitalOcean, Hetzner...): the client address is the one in its header when the load balancer is in `proxy-real-ip-cidr`; a connection without the header is closed. It takes precedence over `forwarded-for-header`; default false.", func(c *Config) *bool { return &c.UseProxyProtocol })
	listKey("proxy-real-ip-cidr", "Comma-separated CIDRs of trusted proxies for `enable-real-ip`, `use-forwarded-headers` and `use-proxy-protocol`; default 0.0.0.0/0.", ",", cidr, func(c *Config) *[]string { return &c.ProxyRealIPCIDR })
}

// TLS.
var (
	pathPrefixRe = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
)

func init() {
	listKey("ssl-protocols", "Space-separated TLS versions: any of TLSv1.2, TLSv1.3; default both.", " ", func(f string) (string, error) {
		if f != "TLSv1.2" && f != "TLSv1.3" {
			return "", fmt.Errorf("%q is not TLSv1.2 or TLSv1.3 (older versions are not offered)", f)
		}
		return f, nil
	}, func(c *Config) *[]string { return &c.SSLProtocols })
	annotationKey("ssl-ciphers", "OpenSSL cipher list for TLS 1.2 (nginx `ssl_ciphers`): `:`-separated words with `!`, `-`, `+`, `@STRENGTH` and `@SECLEVEL=0-5`, read as OpenSSL reads them; a list that selects no cipher nginx's OpenSSL has is refused (nginx would fail to load); the `ssl-ciphers` annotation overrides it for an Ingress's hosts; default ingress-nginx's ECDHE AES-GCM and ChaCha20 list.",
		func(s annotations.Set, c *Config) { c.SSLCiphers = *s.SSLCiphers },
		func(dst *Config, prev Config) { dst.SSLCiphers = prev.SSLCiphers })
	boolKey("hsts", "Send Strict-Transport-Security on HTTPS responses; default true.", func(c *Config) *bool { return &c.HSTS })
	intKey("hsts-max-age", "HSTS max-age in seconds; default 31536000.", 0, 1<<31-1, func(c *Config) *int { return &c.HSTSMaxAge })
	boolKey("hsts-include-subdomains", "Add includeSubDomains to HSTS; default true.", func(c *Config) *bool { return &c.HSTSIncludeSubdomains })
	boolKey("hsts-preload", "Add preload to HSTS; default false.", func(c *Config) *bool { return &c.HSTSPreload })
	boolKey("ssl-redirect", "Redirect HTTP to HTTPS on hosts with TLS (the `ssl-redirect` annotation overrides it); default true.", func(c *Config) *bool { return &c.SSLRedirect })
	enumKey("http-redirect-code", "Status of the redirects to HTTPS (ssl-redirect, force-ssl-redirect) and of from-to-www-redirect: 301, 302, 307 or 308; default 308.", []string{"301", "302", "307", "308"}, func(c *Config) *string { return &c.HTTPRedirectCode })
	listKey("no-tls-redirect-locations", "Comma-separated path prefixes whose locations are never redirected to HTTPS (ssl-redirect, force-ssl-redirect), compared with each Ingress path as ingress-nginx does; default /.well-known/acme-challenge (ACME HTTP-01 challenges).", ",", func(f string) (string, error) {
		if !pathPrefixRe.MatchString(f) {
			return "", fmt.Errorf("%q is not a path (/ then letters, digits and -._~/)", f)
		}
		return f, nil
	}, func(c *Config) *[]string { return &c.NoTLSRedirectLocations })
	boolKey("use-http2", "Offer HTTP/2 on the HTTPS port; default true.", func(c *Config) *bool { return &c.UseHTTP2 })
	boolKey("ssl-session-cache", "Keep TLS sessions in a cache shared by the workers (nginx `ssl_session_cache`), so that clients resume them, with TLS 1.3 session tickets too (they then refer to the cache); default true.", func(c *Config) *bool { return &c.SSLSessionCache })
	// nginx refuses a cache of fewer than 8 memory pages: 512k is 8 pages
	// of 64k, the largest page size of Linux.
	boundedSizeKey("ssl-session-cache-size", "Size of the TLS session cache (`ssl-session-cache`), 512k to 1024m; about 4,000 sessions per megabyte; default 10m.",
		512<<10, 1024<<20, func(c *Config) *string { return &c.SSLSessionCacheSize })
	register(Key{Name: "ssl-session-timeout", Doc: "How long a client may resume a TLS session from the cache (nginx `ssl_session_timeout`; set only with `ssl-session-cache`): a number with an optional unit s, m, h or d; default 10m.",
		Parse: func(v string, c *Config) error {
			v = strings.TrimSpace(v)
			if !nginxTimeRe.MatchString(v) {
				return fmt.Errorf("%q is not a time (a number from 1 with an optional unit s, m, h or d)", v)
			}
			c.SSLSessionTimeout = v
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.SSLSessionTimeout = prev.SSLSessionTimeout },
	})
	boolKey("ssl-session-tickets", "Resume TLS 1.2 sessions with session tickets (nginx `ssl_session_tickets`), encrypted with a key nginx makes up at each start and reload; default false.", func(c *Config) *bool { return &c.SSLSessionTickets })
}

// nginxTimeRe is a time as nginx reads it, in one unit.
var nginxTimeRe = regexp.MustCompile(`^[1-9][0-9]{0,5}[smhd]?$`)

// Compression.
func init() {
	boolKey("use-gzip", "Compress responses of `gzip-types` with gzip; default false.", func(c *Config) *bool { return &c.UseGzip })
	intKey("gzip-level", "gzip compression level 1-9; default 1.", 1, 9, func(c *Config) *int { return &c.GzipLevel })
	listKey("gzip-types", "Space-separated MIME types to compress (text/html always is).", " ", func(f string) (string, error) {
		if f == "text/html" {
			return "", nil // nginx always compresses it and warns when it is listed
		}
		return token(f)
	}, func(c *Config) *[]string { return &c.GzipTypes })
}

// Connections and workers.
func init() {
	boolKey("server-tokens", "`true` sends a Server header with nginx's version (and the version on error pages); default false: no Server header at all, as in ingress-nginx (Debian's headers-more module).", func(c *Config) *bool { return &c.ServerTokens })
	intKey("keep-alive", "Seconds a client keepalive connection stays open; default 75.", 0, 3600, func(c *Config) *int { return &c.KeepAlive })
	intKey("keep-alive-requests", "Requests per client keepalive connection; default 1000.", 1, 1000000, func(c *Config) *int { return &c.KeepAliveRequests })
	intKey("upstream-keepalive-connections", "Idle keepalive connections to endpoints kept per worker; default 320.", 0, 100000, func(c *Config) *int { return &c.UpstreamKeepaliveConnections })
	intKey("upstream-keepalive-timeout", "Seconds an idle connection to an endpoint stays open; default 60.", 1, 3600, func(c *Config) *int { return &c.UpstreamKeepaliveTimeout })
	intKey("upstream-keepalive-requests", "Requests one connection to an endpoint carries before it is closed (nginx `keepalive_requests` of the upstreams); default 10000.", 1, 1000000, func(c *Config) *int { return &c.UpstreamKeepaliveRequests })
	register(Key{Name: "worker-processes", Doc: "nginx worker processes: a number, or auto (the CPUs the controller may use, its cgroup CPU limit included, as ingress-nginx; nginx's own auto would count every CPU of the node); default: the --worker-processes flag (auto).",
		Parse: func(v string, c *Config) error {
			v = strings.TrimSpace(v)
			if v != "auto" && !regexp.MustCompile(`^[1-9][0-9]{0,2}$`).MatchString(v) {
				return fmt.Errorf("%q is not auto or a number from 1 to 999", v)
			}
			c.WorkerProcesses = v
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.WorkerProcesses = prev.WorkerProcesses },
	})
	register(Key{Name: "max-worker-connections", Doc: "Connections per worker (64 to 1000000); `0`: three quarters of the open files a worker may have (the open-file limit less 1,024), as ingress-nginx; default 16384.",
		Parse: func(v string, c *Config) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || (n != 0 && (n < 64 || n > 1000000)) {
				return fmt.Errorf("%q is not 0 or a whole number from 64 to 1000000", v)
			}
			c.MaxWorkerConnections = n
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.MaxWorkerConnections = prev.MaxWorkerConnections },
	})
	intKey("worker-shutdown-timeout", "Seconds old workers may drain after a reload or at shutdown; default: --shutdown-grace-period (240).", 1, 86400, func(c *Config) *int { return &c.WorkerShutdownTimeout })
}

// Client request limits.
var bufsRe = regexp.MustCompile(`^[1-9][0-9]{0,2} [0-9]{1,6}[km]?$`)

func init() {
	sizeKey("client-header-buffer-size", "Buffer for a request header; default 1k.", func(c *Config) *string { return &c.ClientHeaderBufferSize })
	register(Key{Name: "large-client-header-buffers", Doc: "Number and size of buffers for large headers; default \"4 8k\".",
		Parse: func(v string, c *Config) error {
			v = strings.ToLower(strings.Join(strings.Fields(v), " "))
			if !bufsRe.MatchString(v) {
				return fmt.Errorf("%q is not \"NUMBER SIZE\"", v)
			}
			c.LargeClientHeaderBuffers = v
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.LargeClientHeaderBuffers = prev.LargeClientHeaderBuffers },
	})
	intKey("client-body-timeout", "Seconds between two reads of a request body; default 60.", 1, 3600, func(c *Config) *int { return &c.ClientBodyTimeout })
	intKey("client-header-timeout", "Seconds to read a request header; default 60.", 1, 3600, func(c *Config) *int { return &c.ClientHeaderTimeout })
	boolKey("enable-underscores-in-headers", "Accept request headers with `_` in their names and pass them to endpoints (nginx `underscores_in_headers`); default false: they are dropped (see `ignore-invalid-headers`).", func(c *Config) *bool { return &c.EnableUnderscoresInHeaders })
	boolKey("ignore-invalid-headers", "Drop request headers whose names have characters other than letters, digits and `-` (and `_` with `enable-underscores-in-headers`), as nginx's `ignore_invalid_headers`; `false` passes them to endpoints; default true.", func(c *Config) *bool { return &c.IgnoreInvalidHeaders })
	boolKey("generate-request-id", "Make up an `X-Request-ID` (nginx's `$request_id`, 32 hex digits) for a request without one, sent to endpoints and logged as `$req_id`; `false`: such a request reaches endpoints without one; default true.", func(c *Config) *bool { return &c.GenerateRequestID })
}

// headerNameRe is ingress-nginx's rule for custom response header names.
var headerNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// headerName is one header name of a list.
func headerName(f string) (string, error) {
	if !headerNameRe.MatchString(f) || len(f) > 128 {
		return "", fmt.Errorf("%q is not a header name (letters, digits, - and _)", f)
	}
	return f, nil
}

// Response headers.
func init() {
	listKey("global-allowed-response-headers", "Comma-separated header names the `custom-headers` annotation may set (compared exactly, as in ingress-nginx); default none, so `custom-headers` needs it.", ",",
		headerName, func(c *Config) *[]string { return &c.AllowedResponseHeaders })
	listKey("hide-headers", "Comma-separated names of endpoints' response headers that are not passed to clients (nginx `proxy_hide_header` and `grpc_hide_header`), on every path; letters, digits, - and _; default none.", ",",
		headerName, func(c *Config) *[]string { return &c.HideHeaders })
	objectKey("add-headers", "`namespace/name` of a ConfigMap whose keys and values are set as headers on every response, as ingress-nginx's (`more_set_headers`: replacing the endpoint's). Names are letters, digits, `-` and `_`, values printable ASCII taken literally (`$` included); a `custom-headers` annotation's header of the same name wins on its paths. Atrium refuses headers nginx writes itself (`Server`, `Date`, `Content-Type`, `Content-Length`, ...). Default none.", func(c *Config) *string { return &c.AddHeaders })
	objectKey("proxy-set-headers", "`namespace/name` of a ConfigMap whose keys and values are sent as request headers to every endpoint, as ingress-nginx's. Values are printable ASCII with nginx variables from the `log-format-upstream` allow-list (`$msec`, `${msec}`, `$remote_addr`, `$http_*`, `$ssl_*`...); a header Atrium sets itself (`Host`, `X-Forwarded-*`, `X-Real-IP`, `X-Request-ID`, `Connection`, ...) is refused. Default none.", func(c *Config) *string { return &c.ProxySetHeaders })
}

// Logging and blocking.
func init() {
	enumKey("error-log-level", "nginx error log level; default notice.", []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"}, func(c *Config) *string { return &c.ErrorLogLevel })
	listKey("block-cidrs", "Comma-separated client CIDRs refused with 403 everywhere.", ",", cidr, func(c *Config) *[]string { return &c.BlockCIDRs })
	listKey("block-user-agents", "Comma-separated whole User-Agent strings (compared without case, as nginx's map does; up to 100 characters each) refused with 403 everywhere.", ",", userAgent, func(c *Config) *[]string { return &c.BlockUserAgents })
}

// skipURLRe is a request URI skip-access-log-urls may name: "/" then URI
// characters, none with a meaning to nginx's config; not '%', which the
// config hash placeholder holds (no value may spell it). At most 100
// characters: longer keys do not fit the map's hash buckets
// (map_hash_bucket_size 128), and nginx would refuse the config.
var skipURLRe = regexp.MustCompile(`^/[A-Za-z0-9._~/?=&+:@!*-]{0,99}$`)

func init() {
	register(Key{Name: "skip-access-log-urls", Doc: "Comma-separated request URIs not written to the access log, e.g. `/healthz`: compared with the whole URI as sent (query included, as ingress-nginx's `$request_uri` map) without case; each `/` then up to 99 letters, digits and `-._~/?=&+:@!*`; default none.",
		Parse: func(v string, c *Config) error {
			var out []string
			seen := map[string]bool{}
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f == "" {
					continue
				}
				if !skipURLRe.MatchString(f) {
					return fmt.Errorf("%q is not a request URI (/ then up to 99 letters, digits and -._~/?=&+:@!*)", f)
				}
				// nginx's map compares without case and refuses a key twice.
				if k := strings.ToLower(f); !seen[k] {
					seen[k] = true
					out = append(out, f)
				}
			}
			c.SkipAccessLogURLs = out
			return nil
		},
		keep: func(dst *Config, prev Config) {
			dst.SkipAccessLogURLs = append([]string(nil), prev.SkipAccessLogURLs...)
		},
	})
}

// Rate limits (the limit-* annotations).
func init() {
	intKey("limit-req-status-code", "Status code (400-599) of requests refused by the `limit-rps` and `limit-rpm` annotations; default 503.",
		400, 599, func(c *Config) *int { return &c.LimitReqStatusCode })
	intKey("limit-conn-status-code", "Status code (400-599) of requests refused by the `limit-connections` annotation; default 503.",
		400, 599, func(c *Config) *int { return &c.LimitConnStatusCode })
}
