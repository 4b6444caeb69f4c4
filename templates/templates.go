// Package templates embeds the nginx.conf template. The template only prints
// typed, already-validated values from nginxconf.Config; every decision is
// made in Go (internal/nginxconf), which keeps its FuncMap to quoting alone.
package templates

import _ "embed"

// NginxConf is the text/template for the whole nginx.conf.
//
//go:embed nginx.conf.tmpl
var NginxConf string

// AtriumLua is the Lua module behind dynamic upstreams: it keeps the
// endpoint table in shared memory and picks a peer for each request.
//
//go:embed atrium.lua
var AtriumLua string

// AtriumBalanceLua holds the load-balancing algorithms beyond round robin
// (least_conn, ewma, consistent hashing, cookie affinity).
//
//go:embed atrium_balance.lua
var AtriumBalanceLua string

// AtriumCanaryLua chooses between a location's main and canary backends.
//
//go:embed atrium_canary.lua
var AtriumCanaryLua string
