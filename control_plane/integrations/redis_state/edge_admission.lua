-- Admit one API request of a company (after bucket_take.lua): a place among its requests in flight,
-- then a token from its rate bucket. A request refused for either takes neither.
-- KEYS[1] rate bucket hash {tokens, ts}; KEYS[2] in-flight sorted set (member: ticket, score: lease end)
-- ARGV capacity, refill_per_second, bucket_ttl_ms, max_in_flight, ticket, lease_s
-- Returns {outcome (0 admitted, 1 rate spent, 2 too many in flight), retry_after_s, in_flight}.
local now = server_now()
local lease_s = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)  -- leases of requests whose process died
local in_flight = redis.call('ZCARD', KEYS[2])
if in_flight >= tonumber(ARGV[4]) then
  return {2, '1', in_flight}
end
local result = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), 1, tonumber(ARGV[3]), now)
if result[1] == 0 then
  return {1, string.format('%.17g', result[2]), in_flight}
end
redis.call('ZADD', KEYS[2], now + lease_s, ARGV[5])
redis.call('EXPIRE', KEYS[2], math.ceil(lease_s) + 1)
return {0, '0', in_flight + 1}
