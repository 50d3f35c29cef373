--[[
  One pass of the scheduler for one queue, as RQ 1.13's RQScheduler: holds the queue's scheduler
  lock (`rq:scheduler-lock:<queue>`, value the numeric pid, as RQ 1.13 reads it), then moves up to
  1000 due jobs (score at or below server time) from the scheduled registry to the queue: status
  queued, enqueued_at, pushed at the head when the job has enqueue_at_front=1, else at the tail.
  Ids whose job hash is gone are dropped from the registry.

  KEYS[1]  the lock, rq:scheduler-lock:<queue>
  KEYS[2]  the scheduled registry, rq:scheduled:<queue>
  KEYS[3]  the queue list, rq:queue:<queue>
  KEYS[4]  rq:queues
  ARGV[1]  the pid written in the lock
  ARGV[2]  lock TTL in seconds
  ARGV[3]  "1" when this scheduler holds the lock already (renew it), "0" to try to take it
  ARGV[4]  most jobs moved in one pass
  Due times and enqueued_at are server time (server-time.lib.lua), whatever the worker's clock.
  Returns  the number of jobs moved, or nil when another scheduler holds the lock
]]
if ARGV[3] == '1' and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
elseif not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return false
end
local now = server_time()
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], 0, now.whole, 'LIMIT', 0, tonumber(ARGV[4]))
local moved = 0
for _, id in ipairs(ids) do
  local job = job_key(id)
  local limit = redis.call('HMGET', job, 'rate_limit_key')
  if limit[1] and limit[1] ~= '' then
    -- A rate-limited job (a delayed retry gave its slot back): admitted as at enqueue.
    add_queue(KEYS[4], KEYS[3])
    rate_limit().park(limit[1], id, now)
    rate_limit().acquire(limit[1], now, now.text)
    moved = moved + 1
  elseif redis.call('EXISTS', job) == 1 then
    redis.call('HSET', job, 'status', 'queued', 'enqueued_at', now.text)
    add_queue(KEYS[4], KEYS[3])
    if redis.call('HGET', job, 'enqueue_at_front') == '1' then
      redis.call('LPUSH', KEYS[3], id)
    else
      redis.call('RPUSH', KEYS[3], id)
    end
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[2], id)
end
return moved
