package annotations

import "time"

// Set holds the parsed annotations of one Ingress. Every field belongs to
// one annotation (or a documented pair); nil means "not set".
type Set struct {
	ProxyBodySize         *Size
	ProxyConnectTimeout   *time.Duration
	ProxyReadTimeout      *time.Duration
	ProxySendTimeout      *time.Duration
	ProxyBuffering        *bool
	ProxyRequestBuffering *bool
	ProxyHTTPVersion      *string // "1.0" or "1.1"

	SSLRedirect      *bool
	ForceSSLRedirect *bool

	PermanentRedirect     *string
	PermanentRedirectCode *int
	TemporalRedirect      *string

	AllowSourceRange []CIDR // whitelist-source-range / allowlist-source-range
	DenySourceRange  []CIDR

	XForwardedPrefix *string
	UpstreamVhost    *string
	AppRoot          *string
}

// finish applies the rules between annotations after all are parsed.
func (s *Set) finish() {}
