-- A shop's GraphQL query-cost bucket as this control plane sees it, shared by every worker.
-- KEYS[1] hash {tokens, ts, capacity, rate}; KEYS[2] sorted set of reservations in flight
--         (member "<id>:<points>", score = when it lapses, so a worker that died mid-call frees its points)
-- ARGV op ('reserve' | 'settle'), id, amount, default_capacity, default_rate, ttl_ms, lapse_s,
--      reported_available, reported_capacity, reported_rate ('' when unknown)
-- reserve: take `amount` points if they are there (recording the reservation), else say how long until they are.
-- settle:  end reservation `id`, giving back `amount` (its unused part); when Shopify reported its bucket,
--          believe it: available = reported - what other reservations still have in flight.
-- Returns {allowed (0/1), retry_after_s, tokens} (numbers as strings: Lua would truncate them).
local op = ARGV[1]
local id = ARGV[2]
local amount = tonumber(ARGV[3])
local ttl_ms = tonumber(ARGV[6])
local lapse_s = tonumber(ARGV[7])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000

local stored = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'capacity', 'rate')
local capacity = tonumber(stored[3]) or tonumber(ARGV[4])
local rate = tonumber(stored[4]) or tonumber(ARGV[5])
local tokens = tonumber(stored[1])
local ts = tonumber(stored[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)

local function in_flight()
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local total = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    total = total + tonumber(string.match(member, ':([%d%.]+)$'))
  end
  return total
end

local allowed = 1
local retry_after = 0
if op == 'reserve' then
  amount = math.min(amount, capacity)
  if tokens >= amount then
    tokens = tokens - amount
    redis.call('ZADD', KEYS[2], now + lapse_s, id .. ':' .. string.format('%.17g', amount))
  else
    allowed = 0
    retry_after = (amount - tokens) / rate
  end
else
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if string.sub(member, 1, #id + 1) == id .. ':' then redis.call('ZREM', KEYS[2], member) end
  end
  local reported_capacity = tonumber(ARGV[9])
  local reported_rate = tonumber(ARGV[10])
  if reported_capacity ~= nil and reported_capacity > 0 then capacity = reported_capacity end
  if reported_rate ~= nil and reported_rate > 0 then rate = reported_rate end
  local reported = tonumber(ARGV[8])
  if reported ~= nil then
    tokens = math.max(0, reported - in_flight())
  else
    tokens = tokens + amount
  end
  tokens = math.min(capacity, tokens)
end

redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now),
  'capacity', string.format('%.17g', capacity), 'rate', string.format('%.17g', rate))
redis.call('PEXPIRE', KEYS[1], ttl_ms)
redis.call('PEXPIRE', KEYS[2], ttl_ms)
return {allowed, string.format('%.17g', retry_after), string.format('%.17g', tokens)}
