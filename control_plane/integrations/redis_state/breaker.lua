-- Circuit breakers for several scopes in one atomic step, on the server's clock: the breaker's rules.
-- (The tests hold it to a plain Python model of the same rules, their oracle.)
-- KEYS[1] transitions stream; KEYS[2..] one state hash per scope {state, failures, opened_at, probe_until, sources}
-- ARGV[1] mode: admit | success | failure | status    ARGV[2] failure reason    ARGV[3] reason for open -> half_open
-- ARGV[4] failure_threshold  ARGV[5] open_seconds  ARGV[6] probe lease  ARGV[7] half-open retry
-- ARGV[8] transitions kept   ARGV[9] state ttl (ms)  ARGV[10] min sources
-- ARGV[11..] scope names, parallel to KEYS[2..], broadest first: the last one is the call's source.
-- A scope that is not the source (the provider, shared by its integrations) opens only when its run of
-- consecutive failures came from at least min sources distinct sources; the first few it saw are kept
-- in `sources` (a JSON list, at most min sources long). The source's own scope needs only the threshold.
-- admit returns {refused scope or '', retry_after_s}; success/failure return the number of transitions;
-- status (one scope, changes nothing) returns {state, failures, opened_at or '', retry_after_s, sources}.
local mode, reason, elapse_reason = ARGV[1], ARGV[2], ARGV[3]
local threshold, open_s, lease_s = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local half_open_retry, kept, ttl_ms = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local min_sources = tonumber(ARGV[10])
local source = ARGV[#KEYS + 9]

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local moves = 0

local function fmt(x) return string.format('%.17g', x) end

local function load(key)
  local v = redis.call('HMGET', key, 'state', 'failures', 'opened_at', 'probe_until', 'sources')
  return {state = v[1] or 'closed', failures = tonumber(v[2]) or 0,
          opened_at = tonumber(v[3]), probe_until = tonumber(v[4]), sources = v[5] and cjson.decode(v[5]) or {}}
end

local function save(key, b)
  redis.call('DEL', key)
  if b.state == 'closed' and b.failures == 0 then return end  -- absent means closed and clean
  redis.call('HSET', key, 'state', b.state, 'failures', tostring(b.failures))
  if b.opened_at then redis.call('HSET', key, 'opened_at', fmt(b.opened_at)) end
  if b.probe_until then redis.call('HSET', key, 'probe_until', fmt(b.probe_until)) end
  if #b.sources > 0 then redis.call('HSET', key, 'sources', cjson.encode(b.sources)) end
  redis.call('PEXPIRE', key, ttl_ms)
end

local function move(scope, b, to, why)
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', kept, '*',
             'scope', scope, 'from', b.state, 'to', to, 'at', fmt(now), 'reason', why)
  b.state = to
  moves = moves + 1
end

local function elapse(scope, b, quietly)
  if b.state == 'open' and now - (b.opened_at or 0) >= open_s then
    if quietly then b.state = 'half_open' else move(scope, b, 'half_open', elapse_reason) end
    b.probe_until = nil
    return true
  end
  return false
end

local function refusal(b)
  if b.state == 'open' then return math.max(0.001, (b.opened_at or 0) + open_s - now) end
  if b.state == 'half_open' and b.probe_until and b.probe_until > now then
    return math.max(0.001, math.min(half_open_retry, b.probe_until - now))
  end
  return 0
end

-- Remember the failing source among the scope's run (up to `need` of them); true once `need` are seen.
local function seen(b, need)
  if need == 1 then return true end
  for _, name in ipairs(b.sources) do
    if name == source then return #b.sources >= need end
  end
  if #b.sources < need then table.insert(b.sources, source) end
  return #b.sources >= need
end

local function count_failure(scope, b)
  b.failures = b.failures + 1
  local need = (scope == source) and 1 or min_sources
  if seen(b, need) and b.failures >= threshold then
    local across = need > 1 and (' across ' .. #b.sources .. ' integrations') or ''
    move(scope, b, 'open', b.failures .. ' consecutive failures' .. across .. '; last: ' .. reason)
    b.opened_at, b.sources = now, {}
  end
end

local function record(scope, b)
  if b.state == 'half_open' then
    if mode == 'success' then
      move(scope, b, 'closed', 'probe succeeded')
      b.failures, b.opened_at = 0, nil
    else
      move(scope, b, 'open', 'probe failed: ' .. reason)
      b.opened_at = now
    end
    b.probe_until, b.sources = nil, {}
    return true
  elseif b.state == 'closed' then
    if mode == 'success' then
      local changed = b.failures > 0
      b.failures, b.sources = 0, {}
      return changed
    end
    count_failure(scope, b)
    return true
  end
  return false  -- open: late answers from calls started before it opened
end

if mode == 'status' then
  local b = load(KEYS[2])
  elapse(ARGV[11], b, true)
  return {b.state, tostring(b.failures), b.opened_at and fmt(b.opened_at) or '', fmt(refusal(b)), tostring(#b.sources)}
end

local breakers = {}
local worst_scope, worst_wait = '', 0
for i = 2, #KEYS do
  local scope = ARGV[i + 9]
  local b = load(KEYS[i])
  local changed = elapse(scope, b)
  if mode == 'admit' then
    local wait = refusal(b)
    if wait > worst_wait then worst_scope, worst_wait = scope, wait end
  else
    changed = record(scope, b) or changed
  end
  if changed then save(KEYS[i], b) end
  breakers[i] = b
end

if mode ~= 'admit' then return moves end
if worst_scope ~= '' then return {worst_scope, fmt(worst_wait)} end
for i = 2, #KEYS do
  if breakers[i].state == 'half_open' then
    breakers[i].probe_until = now + lease_s
    save(KEYS[i], breakers[i])
  end
end
return {'', '0'}
