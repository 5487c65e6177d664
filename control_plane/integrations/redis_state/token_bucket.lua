-- One token-bucket acquire, atomic, on the server's clock so every process agrees.
-- KEYS[1] bucket hash {tokens, ts}
-- ARGV capacity, refill_per_second, cost, ttl_ms
-- Returns {allowed (0/1), retry_after_s, tokens_left, now} (numbers as strings: Lua would truncate them).
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local ttl_ms = tonumber(ARGV[4])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000

local stored = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(stored[1])
local ts = tonumber(stored[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)

local allowed = 0
local retry_after = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_after = (cost - tokens) / rate
end

redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], ttl_ms)
return {allowed, string.format('%.17g', retry_after), string.format('%.17g', tokens), string.format('%.17g', now)}
