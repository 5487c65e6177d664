-- A shop's GraphQL query-cost bucket as this control plane sees it, shared by every worker.
-- KEYS[1] hash {tokens, ts, capacity, rate}
-- ARGV op ('reserve' | 'settle'), amount, default_capacity, default_rate, ttl_ms,
--      reported_available, reported_capacity, reported_rate ('' when unknown)
-- reserve: take `amount` points if they are there, else say how long until they are.
-- settle:  give back `amount` (the unused part of a reservation), then believe Shopify when it
--          reports fewer points than we think (other apps and workers spend from the same bucket).
-- Returns {allowed (0/1), retry_after_s, tokens} (numbers as strings: Lua would truncate them).
local op = ARGV[1]
local amount = tonumber(ARGV[2])
local ttl_ms = tonumber(ARGV[5])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000

local stored = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'capacity', 'rate')
local capacity = tonumber(stored[3]) or tonumber(ARGV[3])
local rate = tonumber(stored[4]) or tonumber(ARGV[4])
local tokens = tonumber(stored[1])
local ts = tonumber(stored[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)

local allowed = 1
local retry_after = 0
if op == 'reserve' then
  amount = math.min(amount, capacity)
  if tokens >= amount then
    tokens = tokens - amount
  else
    allowed = 0
    retry_after = (amount - tokens) / rate
  end
else
  local reported_capacity = tonumber(ARGV[7])
  local reported_rate = tonumber(ARGV[8])
  if reported_capacity ~= nil and reported_capacity > 0 then capacity = reported_capacity end
  if reported_rate ~= nil and reported_rate > 0 then rate = reported_rate end
  tokens = math.min(capacity, tokens + amount)
  local reported = tonumber(ARGV[6])
  if reported ~= nil and reported < tokens then tokens = reported end
end

redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now),
  'capacity', string.format('%.17g', capacity), 'rate', string.format('%.17g', rate))
redis.call('PEXPIRE', KEYS[1], ttl_ms)
return {allowed, string.format('%.17g', retry_after), string.format('%.17g', tokens)}
