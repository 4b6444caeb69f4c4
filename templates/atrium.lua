-- Atrium's dynamic upstreams. nginx.conf names an upstream per location
-- ($atrium_upstream); which endpoints it has lives in a shared dict that the
-- controller replaces over a unix socket, so pods coming and going never
-- reload nginx. The table format is one line per upstream:
--   <name> <ip:port>,<ip:port>,...
-- Names and addresses are validated by the controller; this code still
-- parses defensively and ignores malformed lines.
local balancer = require "ngx.balancer"

local M = {}

local DICT = "atrium_endpoints"
-- A peer that refused or timed out is skipped for this long (passive health).
local FAIL_TIMEOUT = 10
-- At most this many tries per request, as proxy_next_upstream_tries,
-- unless the location sets $atrium_tries (proxy-next-upstream-tries; 0
-- means no limit). Each endpoint is tried at most once per request.
local MAX_TRIES = 3

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
function M.init(path, sink_dir)
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
    c = { raw = raw, peers = peers, rr = math.random(#peers) - 1 }
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
  local set = ngx.req.set_header
  set("X-Code", "503")
  set("X-Format", nonempty(v.http_accept or ""))
  set("X-Namespace", nonempty(v.atrium_err_namespace or ""))
  set("X-Ingress-Name", nonempty(v.atrium_err_ingress or ""))
  set("X-Service-Name", nonempty(v.atrium_err_service or ""))
  set("X-Service-Port", nonempty(v.atrium_err_port or ""))
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

-- balance picks the next peer round-robin, skipping peers that failed
-- recently and peers this request already tried. It is the only Lua a
-- proxied request runs: the first try reads two variables and keeps no
-- per-request state; a retry (rare) finds the peers tried so far in
-- $upstream_addr. An upstream without endpoints goes to the local sink,
-- which answers 503 in the location's protocol.
function M.balance()
  local state = balancer.get_last_failure()
  local c = peers_of(ngx.var.atrium_upstream)
  if not c then
    local sink = sinks[ngx.var.atrium_proto or ""] or sinks[""]
    local ok, err = balancer.set_current_peer(sink)
    if not ok then
      ngx.log(ngx.ERR, "atrium: set_current_peer ", sink, ": ", err)
      return ngx.exit(ngx.ERROR)
    end
    return
  end
  local peers = c.peers
  local n = #peers
  local now = ngx.now()
  local tried
  if state then
    tried = {}
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
  elseif n > 1 then
    local limit = tonumber(ngx.var.atrium_tries or "") or MAX_TRIES
    if limit <= 0 then
      limit = n
    end
    local more = math.min(n, limit) - 1
    if more > 0 then
      balancer.set_more_tries(more)
    end
  end
  local pick, fallback
  for _ = 1, n do
    c.rr = c.rr % n + 1
    local p = peers[c.rr]
    if not (tried and tried[p.key]) then
      local until_ = failed[p.key]
      if not until_ or until_ <= now then
        pick = p
        break
      end
      fallback = fallback or p
    end
  end
  pick = pick or fallback or peers[c.rr % n + 1]
  local ok, err = balancer.set_current_peer(pick.host, pick.port)
  if not ok then
    ngx.log(ngx.ERR, "atrium: set_current_peer ", pick.key, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

return M
