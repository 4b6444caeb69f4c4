-- Atrium's canaries, with ingress-nginx's rules (balancer.lua
-- route_to_alternative_balancer). Only locations with a canary run this,
-- in their access phase; they set:
--   $atrium_canary          "upstream=.. name=.. [header=.. [value=..|pattern=<base64>]]
--                            [cookie=..] weight=.. total=.."
--   $atrium_canary_balance  the canary's algorithm (and
--   $atrium_canary_hash_by  its hash key for chash)
-- and the main backend's $atrium_upstream, $atrium_balance,
-- $atrium_hash_by and $atrium_affinity. Choosing the canary points those
-- at it, so the policy balancer needs to know nothing about canaries;
-- the access log keeps the main backend's name in $proxy_upstream_name
-- and gets the canary's (name=, ingress-nginx's) in
-- $proxy_alternative_upstream_name, as ingress-nginx's balancer.lua.
local core = require "atrium"
local balance = require "atrium_balance"

local M = {}

local specs = {} -- per worker: $atrium_canary -> parsed rules

local function rules(s)
  local r = specs[s]
  if r then
    return r
  end
  r = { weight = 0, total = 100 }
  for w in string.gmatch(s or "", "%S+") do
    local k, v = string.match(w, "^([%w-]+)=(.*)$")
    if k == "weight" or k == "total" then
      r[k] = tonumber(v) or r[k]
    elseif k == "pattern" then
      r.pattern = ngx.decode_base64(v)
    elseif k == "header" then
      -- nginx's $http_<name>: lower case, '-' as '_'.
      r.header = "http_" .. string.gsub(string.lower(v), "-", "_")
    elseif k == "cookie" then
      r.cookie = "cookie_" .. v
    elseif k then
      r[k] = v
    end
  end
  if r.total < 100 then
    r.total = 100
  end
  specs[s] = r
  return r
end

local function sticky(algorithm)
  return algorithm == "sticky_balanced" or algorithm == "sticky_persistent"
end

-- choose says whether this request goes to the canary, in ingress-nginx's
-- order: an affinity cookie naming the main or (sticky canary) the canary
-- backend; then the header (always / never, or its value or pattern);
-- then the cookie (always / never); then the weight.
local function choose(r, v)
  if sticky(v.atrium_balance) then
    local a = balance.affinity_spec(v.atrium_affinity)
    local _, bk = balance.cookie_parts(v["cookie_" .. a.name])
    if bk then
      if bk == balance.backend_key(v.atrium_upstream) then
        return false
      end
      if sticky(v.atrium_canary_balance) and bk == balance.backend_key(r.upstream) then
        return true
      end
    end
  end
  if r.header then
    local h = v[r.header]
    if h then
      if r.value then
        if h == r.value then
          return true
        end
      elseif r.pattern then
        local m, err = ngx.re.match(h, r.pattern, "jo")
        if m then
          return true
        elseif err then
          ngx.log(ngx.ERR, "atrium: canary-by-header-pattern: ", err)
          return false
        end
      elseif h == "always" then
        return true
      elseif h == "never" then
        return false
      end
    end
  end
  if r.cookie then
    local c = v[r.cookie]
    if c == "always" then
      return true
    elseif c == "never" then
      return false
    end
  end
  return math.random(r.total) <= r.weight
end

-- canary runs in the access phase of canary locations; with_default is
-- set where the location also has default-backend, which then gets its
-- turn when the main backend serves.
function M.canary(with_default)
  local v = ngx.var
  local r = rules(v.atrium_canary)
  if r.upstream and core.peers_of(r.upstream) and choose(r, v) then
    local algorithm = v.atrium_canary_balance
    v.atrium_upstream = r.upstream
    v.atrium_alternative_upstream = r.name or ""
    v.atrium_balance = algorithm
    if algorithm == "chash" then
      v.atrium_hash_by = v.atrium_canary_hash_by
    end
    return
  end
  if with_default then
    return core.default_backend()
  end
end

return M
