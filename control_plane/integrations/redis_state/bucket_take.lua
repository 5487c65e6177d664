-- The token-bucket rule, shared by every script that spends tokens (prepended to each).
-- take(key, capacity, rate, cost, ttl_ms, now) refills the bucket for the time since it was
-- last touched, spends ``cost`` if it is there, stores the bucket and returns
-- {allowed (0/1), retry_after_s, tokens_left}.
local function take(key, capacity, rate, cost, ttl_ms, now)
  local stored = redis.call('HMGET', key, 'tokens', 'ts')
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

  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
  redis.call('PEXPIRE', key, ttl_ms)
  return {allowed, retry_after, tokens}
end

local function server_now()
  local clock = redis.call('TIME')
  return tonumber(clock[1]) + tonumber(clock[2]) / 1000000
end
