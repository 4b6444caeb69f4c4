-- Atrium's load-balancing algorithms beyond round robin, with the meaning
-- ingress-nginx's balancer.lua gives them. Only locations that ask for
-- them (and the common balancer when the ConfigMap's load-balance is not
-- round_robin) come here; the settings are nginx variables those locations
-- set, validated by the controller and parsed here once per worker:
--   $atrium_balance   round_robin | least_conn | ewma | chash |
--                     sticky_balanced | sticky_persistent
--   $atrium_hash_by   chash key: "v:<variable>" and "t:<text>" words,
--                     and "n:<size>" for upstream-hash-by-subset
--   $atrium_affinity  cookie: "name=.. path=.. [domain=..] [max-age=..]
--                     [expires=..] [samesite=..] [conditional-samesite-none]
--                     [secure] [partitioned] [change-on-failure]"
local core = require "atrium"

local M = {}

-- least_conn and ewma share their counts across workers.
local shared = ngx.shared.atrium_balance

-- ingress-nginx's ewma: decay time (s) and how many random peers compete.
local EWMA_DECAY = 10
local EWMA_PICK = 2
-- Points per endpoint on the consistent-hash ring (ketama's 160).
local RING_POINTS = 160
-- New-session attempts before giving up on avoiding tried peers
-- (ingress-nginx's sticky_balanced).
local STICKY_PICKS = 20

-- least_conn counts expire this long after they were created, so a
-- count that missed its decrement (an internal redirect, such as
-- custom-http-errors', drops the request's Lua context) cannot skew the
-- choice for longer; a count never goes below 0.
local COUNT_TTL = 300

local specs = {} -- per worker: spec string -> parsed table

local function join(key)
  shared:incr("c:" .. key, 1, 0, COUNT_TTL)
end

local function leave(key)
  local n = shared:incr("c:" .. key, -1, 0, COUNT_TTL)
  if n and n < 0 then
    shared:incr("c:" .. key, -n)
  end
end

-- words splits a validated spec into its space-separated words.
local function words(s)
  local out = {}
  for w in string.gmatch(s or "", "%S+") do
    out[#out + 1] = w
  end
  return out
end

-- affinity_spec parses $atrium_affinity.
local function affinity_spec(s)
  local a = specs[s]
  if a then
    return a
  end
  a = { name = "INGRESSCOOKIE", path = "/" }
  for _, w in ipairs(words(s)) do
    local k, v = string.match(w, "^([%w-]+)=(.*)$")
    if k == "max-age" or k == "expires" then
      a[k] = tonumber(v)
    elseif k then
      a[k] = v
    else
      a[w] = true
    end
  end
  specs[s] = a
  return a
end
M.affinity_spec = affinity_spec

-- hash_spec parses $atrium_hash_by into parts: { var = name } or { text = t }.
local function hash_spec(s)
  local h = specs[s]
  if h then
    return h
  end
  h = {}
  for _, w in ipairs(words(s)) do
    local kind, rest = string.sub(w, 1, 2), string.sub(w, 3)
    if kind == "v:" then
      h[#h + 1] = { var = tonumber(rest) or rest }
    elseif kind == "t:" then
      h[#h + 1] = { text = rest }
    elseif kind == "n:" then
      h.subset = tonumber(rest)
    end
  end
  specs[s] = h
  return h
end

-- hash_key evaluates a hash key for this request, as ingress-nginx's
-- util.generate_var_value: an unset variable adds nothing.
local function hash_key(parts)
  local v = ngx.var
  local out = {}
  for i, p in ipairs(parts) do
    out[i] = p.text or v[p.var] or ""
  end
  return table.concat(out)
end

-- ring returns the upstream's consistent-hash ring (built once per
-- endpoint list): sorted point hashes and the peer index of each.
local function ring(c)
  if c.ring then
    return c.ring
  end
  local points = {}
  for i, p in ipairs(c.peers) do
    for j = 1, RING_POINTS do
      points[#points + 1] = { ngx.crc32_long(p.key .. "#" .. j), i }
    end
  end
  table.sort(points, function(a, b)
    return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2])
  end)
  local hashes, owners = {}, {}
  for i, pt in ipairs(points) do
    hashes[i], owners[i] = pt[1], pt[2]
  end
  c.ring = { hashes = hashes, owners = owners }
  return c.ring
end

-- ring_pos returns the ring index of the point owning key: the first
-- point at or after the key's hash, wrapping around.
local function ring_pos(r, key)
  local h = ngx.crc32_long(key)
  local hashes = r.hashes
  local lo, hi = 1, #hashes
  if h > hashes[hi] then
    return 1
  end
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if hashes[mid] < h then
      lo = mid + 1
    else
      hi = mid
    end
  end
  return lo
end

-- ring_find returns the peer owning key.
local function ring_find(c, key)
  local r = ring(c)
  return c.peers[r.owners[ring_pos(r, key)]]
end

-- ring_subset returns key's subset (upstream-hash-by-subset): the first n
-- distinct peers met walking the ring from the key's point. It stays while
-- the peers do, and only changes for keys whose walk meets a peer that
-- came or went.
local function ring_subset(c, key, n)
  local r = ring(c)
  if n >= #c.peers then
    return c.peers
  end
  local owners, total = r.owners, #r.owners
  local i = ring_pos(r, key)
  local seen, out = {}, {}
  while #out < n do
    local o = owners[i]
    if not seen[o] then
      seen[o] = true
      out[#out + 1] = c.peers[o]
    end
    i = i % total + 1
  end
  return out
end

-- backend_key tells one upstream's cookies from another's (ingress-nginx's
-- md5(md5(name) .. name)), which keeps canary clients where they were.
local backend_keys = {}
local function backend_key(name)
  local k = backend_keys[name]
  if not k then
    k = ngx.md5(ngx.md5(name) .. name)
    backend_keys[name] = k
  end
  return k
end
M.backend_key = backend_key

-- persistent_map maps md5(upstream name .. address) to the peer
-- (ingress-nginx's salted node map for affinity-mode persistent).
local function persistent_map(c)
  if not c.by_hash then
    local m = {}
    for _, p in ipairs(c.peers) do
      m[ngx.md5(c.name .. p.key)] = p
    end
    c.by_hash = m
  end
  return c.by_hash
end

-- same_site_none_compatible is ingress-nginx's list of browsers that
-- reject or misread SameSite=None.
local function same_site_none_compatible(ua)
  local function has(s)
    return string.find(ua, s, 1, true) ~= nil
  end
  if has("Chrome/4") or has("Chrome/5") or has("Chrome/6") or has("CPU iPhone OS 12") or has("iPad; CPU OS 12") then
    return false
  end
  if has("Macintosh") and has("Intel Mac OS X 10_14") and has("Safari") and not has("Chrome") then
    return false
  end
  return true
end

-- set_cookie sets the affinity cookie on the response; a retry that
-- picks anew replaces the previous one.
local function set_cookie(a, value)
  local parts = { a.name .. "=" .. value, "Path=" .. a.path }
  if a.domain then
    parts[#parts + 1] = "Domain=" .. a.domain
  end
  if a.expires then
    parts[#parts + 1] = "Expires=" .. ngx.cookie_time(ngx.time() + a.expires)
  end
  if a["max-age"] then
    parts[#parts + 1] = "Max-Age=" .. a["max-age"]
  end
  local secure = a.secure or ngx.var.https == "on"
  if secure then
    parts[#parts + 1] = "Secure"
  end
  parts[#parts + 1] = "HttpOnly"
  local samesite = a.samesite
  if samesite == "None" and a["conditional-samesite-none"] and not same_site_none_compatible(ngx.var.http_user_agent or "") then
    samesite = nil
  end
  if samesite then
    parts[#parts + 1] = "SameSite=" .. samesite
  end
  -- session-cookie-partitioned: browsers drop a Partitioned cookie that
  -- is not Secure (CHIPS), so over plain HTTP it stays an ordinary one.
  if a.partitioned and secure then
    parts[#parts + 1] = "Partitioned"
  end
  ngx.header["Set-Cookie"] = table.concat(parts, "; ")
end

-- cookie_parts splits an affinity cookie "key|backend" (ingress-nginx's
-- format); a value without "|" is all key.
local function cookie_parts(raw)
  if not raw or raw == "" then
    return nil, nil
  end
  local key, bk = string.match(raw, "^([^|]*)|(.*)$")
  if not key then
    return raw, nil
  end
  return key, bk
end
M.cookie_parts = cookie_parts

-- sticky is cookie affinity (ingress-nginx's sticky_balanced and
-- sticky_persistent): the cookie's peer while it is in the list (even if
-- it just failed, unless change-on-failure); else a new peer, avoiding
-- those tried, and a new cookie.
local function sticky(c, algorithm, tried, now)
  local a = affinity_spec(ngx.var.atrium_affinity)
  local persistent = algorithm == "sticky_persistent"
  local key = cookie_parts(ngx.var["cookie_" .. a.name])
  local from_cookie
  if key then
    if persistent then
      from_cookie = persistent_map(c)[key]
    else
      from_cookie = ring_find(c, key)
    end
  end
  if from_cookie and not (tried and a["change-on-failure"]) then
    return from_cookie
  end
  local pick
  if persistent then
    local candidates = {}
    for _, p in ipairs(c.peers) do
      if not (tried and tried[p.key]) then
        candidates[#candidates + 1] = p
      end
    end
    if #candidates > 0 then
      pick = candidates[math.random(#candidates)]
      key = ngx.md5(c.name .. pick.key)
    end
  else
    for i = 1, STICKY_PICKS do
      local k = string.format("%s.%s.%s", now + i, ngx.worker.pid(), math.random(999999))
      local p = ring_find(c, k)
      if core.usable(p, tried, now) or (i == STICKY_PICKS and not (tried and tried[p.key])) then
        pick, key = p, k
        break
      end
    end
  end
  if not pick then
    return from_cookie or core.round_robin(c, tried, now)
  end
  set_cookie(a, key .. "|" .. backend_key(c.name))
  return pick
end

-- least_conn picks, among usable peers, one with the fewest requests in
-- flight (shared across workers), at random among equals.
local function least_conn(c, tried, now)
  local best, ties, fewest = nil, 0, math.huge
  for _, p in ipairs(c.peers) do
    if core.usable(p, tried, now) then
      local n = shared:get("c:" .. p.key) or 0
      if n < fewest then
        best, ties, fewest = p, 1, n
      elseif n == fewest then
        ties = ties + 1
        if math.random(ties) == 1 then
          best = p
        end
      end
    end
  end
  return best or core.round_robin(c, tried, now)
end

-- ewma_score is a peer's decayed response time (ingress-nginx's peak EWMA).
local function ewma_score(key, now)
  local e = shared:get("e:" .. key) or 0
  local t = shared:get("t:" .. key) or 0
  local td = now - t
  if td < 0 then
    td = 0
  end
  return e * math.exp(-td / EWMA_DECAY)
end

-- ewma picks the lower score of EWMA_PICK random usable peers.
local function ewma(c, tried, now)
  local candidates = {}
  for _, p in ipairs(c.peers) do
    if core.usable(p, tried, now) then
      candidates[#candidates + 1] = p
    end
  end
  local n = #candidates
  if n == 0 then
    return core.round_robin(c, tried, now)
  end
  local best, best_score
  for i = 1, math.min(n, EWMA_PICK) do
    local j = math.random(i, n)
    candidates[i], candidates[j] = candidates[j], candidates[i]
    local s = ewma_score(candidates[i].key, now)
    if not best or s < best_score then
      best, best_score = candidates[i], s
    end
  end
  return best
end

-- balance picks a peer of upstream entry c with the named algorithm.
function M.balance(c, algorithm)
  local now = ngx.now()
  local tried = core.attempt(#c.peers, now)
  local pick
  if algorithm == "least_conn" then
    local ctx = ngx.ctx
    if ctx.atrium_conn then
      leave(ctx.atrium_conn)
    end
    pick = least_conn(c, tried, now)
    join(pick.key)
    ctx.atrium_conn = pick.key
  elseif algorithm == "ewma" then
    pick = ewma(c, tried, now)
    ngx.ctx.atrium_ewma = true
  elseif algorithm == "chash" then
    local spec = hash_spec(ngx.var.atrium_hash_by)
    if spec.subset then
      -- ingress-nginx's chashsubset: a random peer of the key's subset,
      -- one not tried yet when there is one.
      local subset = ring_subset(c, hash_key(spec), spec.subset)
      local left = {}
      for _, p in ipairs(subset) do
        if not (tried and tried[p.key]) then
          left[#left + 1] = p
        end
      end
      if #left > 0 then
        pick = left[math.random(#left)]
      else
        pick = core.round_robin(c, tried, now)
      end
    else
      pick = ring_find(c, hash_key(spec))
      if tried and tried[pick.key] then
        pick = core.round_robin(c, tried, now)
      end
    end
  elseif algorithm == "sticky_balanced" or algorithm == "sticky_persistent" then
    pick = sticky(c, algorithm, tried, now)
  else
    pick = core.round_robin(c, tried, now)
  end
  return core.set_peer(pick)
end

-- last_value is the last of nginx's comma-separated per-try values.
local function last_value(s)
  local last
  for x in string.gmatch(s or "", "[^,%s]+") do
    last = x
  end
  return last
end

-- after_balance runs in the log phase of least_conn and ewma locations:
-- the request is no longer in flight; its response time feeds the EWMA.
function M.after_balance()
  local ctx = ngx.ctx
  if ctx.atrium_conn then
    leave(ctx.atrium_conn)
    ctx.atrium_conn = nil
  end
  if ctx.atrium_ewma then
    local v = ngx.var
    local addr = last_value(v.upstream_addr)
    if not addr then
      return
    end
    local rtt = (tonumber(last_value(v.upstream_connect_time)) or 0) + (tonumber(last_value(v.upstream_response_time)) or 0)
    local now = ngx.now()
    local t = shared:get("t:" .. addr) or 0
    local w = math.exp(-math.max(now - t, 0) / EWMA_DECAY)
    local e = (shared:get("e:" .. addr) or 0) * w + rtt * (1 - w)
    shared:set("e:" .. addr, e, 600)
    shared:set("t:" .. addr, now, 600)
  end
end

return M
