"""The dispatcher's Lua scripts: every move of a job between its lines and arq is one atomic step.

A crash (of Redis client, process or host) between two commands could
otherwise leave a job in no line (lost) or in two (run twice).  Keys:
``<p>:jobs`` (hash job → "TIER company"; membership), ``<p>:delayed`` (zset job →
due ms), ``<p>:line:<company>`` (zset job → arrival sequence), ``<p>:rotation:<TIER>``
(zset company → round-robin turn) and ``<p>:state`` (hash: ``seq``, ``clock:<TIER>``,
``credit:<TIER>``).  Line and rotation keys of promoted jobs are derived inside the
script from the prefix, which a single Redis node (not a cluster) allows.
"""

from __future__ import annotations


def key_prefix(queue_name: str) -> str:
    """Dispatcher keys sit next to the arq queue they feed."""
    return f"{queue_name}:fair"


def jobs_key(queue_name: str) -> str:
    """Every job the dispatcher holds (ready or delayed): its size is the dispatcher's depth."""
    return f"{key_prefix(queue_name)}:jobs"


def delayed_key(queue_name: str) -> str:
    return f"{key_prefix(queue_name)}:delayed"


_NOW = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

_JOIN = """
local function join(rotation, state, tier, company)
  if not redis.call('ZSCORE', rotation, company) then
    local clock = tonumber(redis.call('HGET', state, 'clock:' .. tier) or '0')
    redis.call('ZADD', rotation, clock - 0.5, company)
  end
end
"""

RESUMED_AHEAD = 2**50
"""Subtracted from a resumed job's arrival number: resumed jobs keep their own order, all ahead of new ones."""

FILE_LUA = (
    f"local RESUMED_AHEAD = {RESUMED_AHEAD}\n"
    + _NOW
    + _JOIN
    + """
-- KEYS: jobs, delayed, line, rotation, state, arq job, arq in-progress, arq queue, arq result, arq retry
-- ARGV: job, meta ("TIER company"), defer ms, tier, company, resumed (1: ahead of every job not yet started).
-- Returns 1 if any queue held the job.
local job = ARGV[1]
local held = 0
if redis.call('HEXISTS', KEYS[1], job) == 1 or redis.call('EXISTS', KEYS[6]) == 1 then held = 1 end
redis.call('DEL', KEYS[6], KEYS[7], KEYS[9], KEYS[10])
redis.call('ZREM', KEYS[8], job)
redis.call('HSET', KEYS[1], job, ARGV[2])
local defer = tonumber(ARGV[3])
if defer > 0 then
  redis.call('ZREM', KEYS[3], job)
  redis.call('ZADD', KEYS[2], now_ms() + defer, job)
  if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('ZREM', KEYS[4], ARGV[5]) end
  return held
end
redis.call('ZREM', KEYS[2], job)
if not redis.call('ZSCORE', KEYS[3], job) then
  local seq = redis.call('HINCRBY', KEYS[5], 'seq', 1)
  if ARGV[6] == '1' then seq = seq - RESUMED_AHEAD end
  redis.call('ZADD', KEYS[3], seq, job)
end
join(KEYS[4], KEYS[5], ARGV[4], ARGV[5])
return held
"""
)
"""File a job in its company's line (or as delayed), taking it out of arq whatever arq held of it.

A resumed job (its worker died) goes ahead of the jobs that have not started; a delayed one joins by
arrival when it falls due, as any deferral does."""

PROMOTE_LUA = (
    _NOW
    + _JOIN
    + """
-- KEYS: jobs, delayed, state.  ARGV: key prefix, most jobs to move.  Returns how many moved.
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do
  redis.call('ZREM', KEYS[2], job)
  local meta = redis.call('HGET', KEYS[1], job)
  if meta then
    local tier, company = string.match(meta, '^(%S+) (%S+)$')
    redis.call('ZADD', ARGV[1] .. ':line:' .. company, redis.call('HINCRBY', KEYS[3], 'seq', 1), job)
    join(ARGV[1] .. ':rotation:' .. tier, KEYS[3], tier, company)
  end
end
return #due
"""
)
"""Move delayed jobs that are due into their company's line."""

READY_LEAD_MS = 3_600_000
"""How far back a leading job's arq score is set: ahead of every job handed out in the last hour (a job's timeout)."""

DISPATCH_LUA = (
    f"local READY_LEAD_MS = {READY_LEAD_MS}\n"
    + _NOW
    + """
-- KEYS: jobs, line, rotation, state, arq job, arq queue, arq result, arq retry
-- ARGV: job, arq payload, payload TTL ms, tier, company, then pairs of tier, credit.
-- Returns 1 dispatched, 2 arq already held it (taken off the line), 0 the line's head changed,
-- -1 the line was empty (its company left the rotation): control_plane.domain.queueing.DispatchOutcome.
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if not head then
  redis.call('ZREM', KEYS[3], ARGV[5])
  return -1
end
if head ~= ARGV[1] then return 0 end
-- A company's first turn since it joined the rotation (a join score ends in .5) or a resumed job leads.
local turn = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[5]) or '0')
local leads = turn % 1 ~= 0 or tonumber(redis.call('ZSCORE', KEYS[2], head)) < 0
redis.call('ZREM', KEYS[2], head)
redis.call('HDEL', KEYS[1], head)
local clock = redis.call('HINCRBY', KEYS[4], 'clock:' .. ARGV[4], 1)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[5])
else
  redis.call('ZADD', KEYS[3], clock, ARGV[5])
end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[4], 'credit:' .. ARGV[i], ARGV[i + 1]) end
if redis.call('EXISTS', KEYS[5]) == 1 then return 2 end
redis.call('DEL', KEYS[7], KEYS[8])
redis.call('SET', KEYS[5], ARGV[2], 'PX', ARGV[3])
local score = now_ms()
if leads then score = score - READY_LEAD_MS end
redis.call('ZADD', KEYS[6], score, head)
return 1
"""
)
"""Take a line's head job and put it on arq's queue, due now, under its own id.

arq's workers take due jobs in score order, and the feeder keeps jobs ready behind each slot (chosen
one job per slot early). So that a vendor who just arrived, or a job whose worker died, does not wait
behind them, its job is scored ahead of every job already handed out (still due now, still in the
order the policy picked among jobs that lead).  arq treats a score of 0 as absent: the lead stays far
above it."""
