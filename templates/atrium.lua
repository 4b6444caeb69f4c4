-- Atrium's dynamic upstreams. nginx.conf names an upstream per location
-- ($atrium_upstream); which endpoints it has lives in a shared dict that the
-- controller replaces over a unix socket, so pods coming and going never
-- reload nginx. The table format is one line per upstream:
--   <name> <ip:port>,<ip:port>,...
-- Names and addresses are validated by the controller; this code still
-- parses defensively and ignores malformed lines.
local balancer = require "ngx.balancer"

local M = {}

-- The ConfigMap's load-balance, set by init: the algorithm of the common
-- balancer. Locations that ask for another one proxy to the policy
-- balancer (balance_policy), implemented in atrium_balance.lua.
local default_algorithm = "round_robin"

local DICT = "atrium_endpoints"
-- A peer that refused or timed out is skipped for this long (passive health).
local FAIL_TIMEOUT = 10
-- At most this many tries per request: the ConfigMap's
-- proxy-next-upstream-tries (set by init, as nginx's proxy_next_upstream_tries
-- at http level), unless the location sets $atrium_tries (the annotation).
-- 0 means no limit. Each endpoint is tried at most once per request.
local max_tries = 3

local shared = ngx.shared[DICT]
-- The 503 servers' sockets by $atrium_proto ("" is plain HTTP/1.1); set by init.
local sinks = {}
local cache = {}   -- per worker: name -> { raw = string, peers = {...}, rr = n }
local failed = {}  -- per worker: "ip:port" -> time until which it is skipped

local function parse_peers(raw)
  local peers = {}
  for addr in string.gmatch(raw, "[^,]+") do
    local host, port = string.match(addr, "^%[([%x:.]+)%]:(%d+)$")
    if not host then
      host, port = string.match(addr, "^([%d.]+):(%d+)$")
    end
    port = tonumber(port)
    if host and port and port > 0 and port < 65536 then
      peers[#peers + 1] = { host = host, port = port, key = addr }
    end
  end
  return peers
end

-- load replaces the dict's content with a table (string); names missing
-- from it are removed.
local function load(body)
  local seen = {}
  local n = 0
  for line in string.gmatch(body, "[^\n]+") do
    local name, addrs = string.match(line, "^([%w_.-]+) ?([%w%.:,%[%]]*)$")
    if name then
      local ok, err = shared:set(name, addrs)
      if not ok then
        return nil, "shared dict: " .. tostring(err)
      end
      seen[name] = true
      n = n + 1
    end
  end
  for _, k in ipairs(shared:get_keys(0)) do
    if not seen[k] then
      shared:delete(k)
    end
  end
  return n
end

-- init runs in the master at every start and reload: it loads the last
-- table the controller wrote, so a restarted nginx serves at once.
function M.init(path, sink_dir, algorithm, tries)
  default_algorithm = algorithm or "round_robin"
  max_tries = tonumber(tries) or 3
  sinks = {
    [""] = "unix:" .. sink_dir .. "/http.sock",
    HTTPS = "unix:" .. sink_dir .. "/https.sock",
    GRPC = "unix:" .. sink_dir .. "/grpc.sock",
    GRPCS = "unix:" .. sink_dir .. "/grpcs.sock",
  }
  local f = io.open(path, "r")
  if not f then
    return
  end
  local body = f:read("*a")
  f:close()
  local _, err = load(body)
  if err then
    ngx.log(ngx.ERR, "atrium: loading ", path, ": ", err)
  end
end

-- update is the controller's endpoint: POST the whole table.
function M.update()
  if ngx.req.get_method() ~= "POST" then
    return ngx.exit(405)
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local file = ngx.req.get_body_file()
    if file then
      local f = io.open(file, "r")
      if f then
        body = f:read("*a")
        f:close()
      end
    end
  end
  local n, err = load(body or "")
  if err then
    ngx.status = 500
    ngx.say(err)
    return ngx.exit(500)
  end
  ngx.say(n)
end

-- peers_of returns the cache entry of an upstream (nil without ready
-- endpoints). Other modules keep what they derive from the peers (hash
-- rings, cookie maps) in the entry, so a new endpoint list drops it.
local function peers_of(name)
  if not name or name == "" then
    return nil
  end
  local raw = shared:get(name)
  if not raw or raw == "" then
    return nil
  end
  local c = cache[name]
  if not c or c.raw ~= raw then
    local peers = parse_peers(raw)
    if #peers == 0 then
      return nil
    end
    -- Start each worker at a different peer so they do not move in step.
    c = { name = name, raw = raw, peers = peers, rr = math.random(#peers) - 1 }
    cache[name] = c
  end
  return c
end

-- nonempty turns "" (an unset nginx variable) into nil, which removes a
-- request header.
local function nonempty(s)
  if s == "" then
    return nil
  end
  return s
end

-- default_backend runs (rewrite phase: in the access phase it would count
-- as a passed access check under "satisfy any") only in locations with the
-- default-backend annotation: when the location's upstream has no ready
-- endpoint (or none at all: its Service is missing), the annotation's
-- Service ($atrium_default_upstream) gets the request, told why with the
-- headers ingress-nginx sends it.
function M.default_backend()
  local v = ngx.var
  if peers_of(v.atrium_upstream) or not peers_of(v.atrium_default_upstream) then
    return
  end
  v.atrium_upstream = v.atrium_default_upstream
  -- The access log names it as ingress-nginx did the upstream it
  -- switched to ("custom-default-backend-<namespace>-<service>").
  v.atrium_upstream_name = v.atrium_default_upstream_name
  local set = ngx.req.set_header
  set("X-Code", "503")
  set("X-Format", nonempty(v.http_accept or ""))
  set("X-Namespace", nonempty(v.atrium_err_namespace or ""))
  set("X-Ingress-Name", nonempty(v.atrium_err_ingress or ""))
  set("X-Service-Name", nonempty(v.atrium_err_service or ""))
  set("X-Service-Port", nonempty(v.atrium_err_port or ""))
end

-- no_endpoint_error runs (rewrite phase, after default_backend or the
-- canary's choice) only in locations with disable-proxy-intercept-errors
-- and a custom-http-errors 503: a request whose upstream has no ready
-- endpoint ends with nginx's own 503, which error_page sends to the
-- default backend, as ingress-nginx's balancer answers it. The sink's 503
-- would come back as the endpoints' answer, which these locations pass.
function M.no_endpoint_error()
  if not peers_of(ngx.var.atrium_upstream) then
    return ngx.exit(503)
  end
end

-- error_fallback runs (access phase) only in custom-http-errors' error
-- locations: when their default backend has no ready endpoint, the next
-- error location ($atrium_next_error) answers instead, as ingress-nginx
-- falls back from the annotation's default backend to the global one and
-- from that to its built-in 404.
function M.error_fallback()
  local v = ngx.var
  if peers_of(v.atrium_upstream) then
    return
  end
  local next_location = v.atrium_next_error
  if next_location and string.sub(next_location, 1, 8) == "@atrium_" then
    return ngx.exec(next_location)
  end
end

local function last_peer(addrs)
  local last
  for a in string.gmatch(addrs, "[^, ]+") do
    last = a
  end
  return last
end

-- to_sink sends a request whose upstream has no ready endpoint to the
-- local server that answers 503 in the location's protocol.
local function to_sink()
  local sink = sinks[ngx.var.atrium_proto or ""] or sinks[""]
  local ok, err = balancer.set_current_peer(sink)
  if not ok then
    ngx.log(ngx.ERR, "atrium: set_current_peer ", sink, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

-- attempt starts a try: on the first it allows the retries
-- (proxy-next-upstream-tries, at most one per endpoint); on a retry it
-- marks a peer that failed (passive health) and returns the set of
-- addresses this request already tried ($upstream_addr).
local function attempt(n, now)
  local state = balancer.get_last_failure()
  if not state then
    if n > 1 then
      local limit = tonumber(ngx.var.atrium_tries or "") or max_tries
      if limit <= 0 then
        limit = n
      end
      local more = math.min(n, limit) - 1
      if more > 0 then
        balancer.set_more_tries(more)
      end
    end
    return nil
  end
  local tried = {}
  local addrs = ngx.var.upstream_addr or ""
  if state == "failed" then
    local last = last_peer(addrs)
    if last then
      failed[last] = now + FAIL_TIMEOUT
    end
  end
  for a in string.gmatch(addrs, "[^, ]+") do
    tried[a] = true
  end
  return tried
end

-- usable says a peer may be picked: not tried by this request and not
-- failed in the last FAIL_TIMEOUT seconds.
local function usable(p, tried, now)
  if tried and tried[p.key] then
    return false
  end
  local until_ = failed[p.key]
  return not until_ or until_ <= now
end

-- set_peer hands the chosen peer to nginx.
local function set_peer(p)
  local ok, err = balancer.set_current_peer(p.host, p.port)
  if not ok then
    ngx.log(ngx.ERR, "atrium: set_current_peer ", p.key, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

-- round_robin picks the next peer in turn, skipping unusable ones (a
-- recently failed one only when nothing else is left).
local function round_robin(c, tried, now)
  local peers = c.peers
  local n = #peers
  local fallback
  for _ = 1, n do
    c.rr = c.rr % n + 1
    local p = peers[c.rr]
    if usable(p, tried, now) then
      return p
    end
    if not (tried and tried[p.key]) then
      fallback = fallback or p
    end
  end
  return fallback or peers[c.rr % n + 1]
end

-- What atrium_balance.lua and atrium_canary.lua use.
M.peers_of = peers_of
M.attempt = attempt
M.usable = usable
M.set_peer = set_peer
M.round_robin = round_robin

-- algorithms is atrium_balance.lua, loaded after this module.
local algorithms
local function other_algorithm(c, name)
  algorithms = algorithms or require("atrium_balance")
  return algorithms.balance(c, name)
end

-- balance is the common balancer (upstream atrium_balancer) and the only
-- Lua a proxied request runs there: it reads $atrium_upstream, picks a peer
-- with the ConfigMap's algorithm (round robin: no per-request state; a
-- retry, rare, finds the peers tried so far in $upstream_addr) and sends
-- upstreams without endpoints to the local sink.
function M.balance()
  local c = peers_of(ngx.var.atrium_upstream)
  if not c then
    return to_sink()
  end
  if default_algorithm ~= "round_robin" then
    return other_algorithm(c, default_algorithm)
  end
  local now = ngx.now()
  local tried = attempt(#c.peers, now)
  return set_peer(round_robin(c, tried, now))
end

-- balance_policy is the balancer of the locations with their own
-- load-balance, upstream-hash-by, affinity or a canary (upstream
-- atrium_policy): the algorithm is in $atrium_balance.
function M.balance_policy()
  local c = peers_of(ngx.var.atrium_upstream)
  if not c then
    return to_sink()
  end
  return other_algorithm(c, ngx.var.atrium_balance)
end

-- balance_any is the balancer of the proxy-ssl-* pools (upstreams of their
-- own, for keepalive): their locations may also have a policy.
function M.balance_any()
  local algorithm = ngx.var.atrium_balance
  if algorithm and algorithm ~= "" then
    return M.balance_policy()
  end
  return M.balance()
end

return M
