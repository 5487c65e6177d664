-- One token-bucket acquire, atomic, on the server's clock so every process agrees (after bucket_take.lua).
-- KEYS[1] bucket hash {tokens, ts}
-- ARGV capacity, refill_per_second, cost, ttl_ms
-- Returns {allowed (0/1), retry_after_s, tokens_left, now} (numbers as strings: Lua would truncate them).
local now = server_now()
local result = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), now)
return {result[1], string.format('%.17g', result[2]), string.format('%.17g', result[3]), string.format('%.17g', now)}
