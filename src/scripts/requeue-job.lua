--[[
  Moves a job from a registry (usually the failed one) back onto its origin queue, as RQ's
  registry.requeue(): ZREM from the registry (refused when the job is not in it), clear
  started_at, ended_at and exc_info, then enqueue it (status queued, enqueued_at, RPUSH or LPUSH);
  a rate-limited job waits for a slot of its limit instead, as at enqueue (rate-limit.lib.lua).

  KEYS[1]  the registry, e.g. rq:failed:<queue>
  KEYS[2]  the job hash, rq:job:<id>
  KEYS[3]  rq:queues
  ARGV[1]  the job id
  ARGV[2]  "1" to put the job at the head of its queue
  enqueued_at is server time (server-time.lib.lua).
  Returns  1 when requeued; FAILURE.NOT_IN_REGISTRY, FAILURE.NO_SUCH_JOB when its hash is gone
           (its id leaves the registry), FAILURE.NOT_A_JOB when rq:job:<id> is a key of another
           type (nothing is changed)
]]
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return FAILURE.NOT_IN_REGISTRY end
-- A key of another type under the job's name is no job: leave everything as it is.
local kind = redis.call('TYPE', KEYS[2])['ok']
if kind ~= 'hash' and kind ~= 'none' then return FAILURE.NOT_A_JOB end
redis.call('ZREM', KEYS[1], ARGV[1])
local origin = redis.call('HGET', KEYS[2], 'origin')
if not origin then return FAILURE.NO_SUCH_JOB end
local queue = queue_key(origin)
local now = server_time()
redis.call('HSET', KEYS[2], 'status', 'queued', 'started_at', '', 'ended_at', '', 'exc_info', '', 'enqueued_at', now.text)
add_queue(KEYS[3], queue)
local limit = redis.call('HMGET', KEYS[2], 'rate_limit_key')
if limit[1] and limit[1] ~= '' then
  -- A rate-limited job waits for a slot of its limit again, as at enqueue (rate-limit.lib.lua).
  if ARGV[2] == '1' then redis.call('HSET', KEYS[2], 'enqueue_at_front', '1') end
  rate_limit().park(limit[1], ARGV[1], now)
  rate_limit().acquire(limit[1], now, now.text)
  return 1
end
if ARGV[2] == '1' then redis.call('LPUSH', queue, ARGV[1]) else redis.call('RPUSH', queue, ARGV[1]) end
return 1
