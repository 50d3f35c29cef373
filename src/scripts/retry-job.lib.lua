--[[
  Library, prepended to the scripts that retry failed jobs (not a script on its own).

  retry_job(job, id, queue, scheduled, queues, now, enqueued_at): when the job hash `job` has
  retries left, retries it as RQ 1.13's Job.retry() does and returns true; else returns false.
  The wait comes from `retry_intervals` by RQ 1.13's index rule,
  index = max(#intervals - retries_left, 0) with retries_left before decrementing: a wait above 0
  schedules the job (status scheduled, ZADD `scheduled` at now + wait), 0 enqueues it at the tail
  of `queue` (status queued, enqueued_at). `now` is server time in epoch seconds.
]]
local function retry_job(job, id, queue, scheduled, queues, now, enqueued_at)
  local retries = tonumber(redis.call('HGET', job, 'retries_left') or '0') or 0
  if retries <= 0 then return false end
  local ok, intervals = pcall(cjson.decode, redis.call('HGET', job, 'retry_intervals') or '[]')
  if not ok or type(intervals) ~= 'table' then intervals = {} end
  local wait = 0
  if #intervals > 0 then wait = tonumber(intervals[math.max(#intervals - retries, 0) + 1]) or 0 end
  redis.call('HSET', job, 'retries_left', retries - 1)
  if wait > 0 then
    redis.call('HSET', job, 'status', 'scheduled')
    redis.call('ZADD', scheduled, now + wait, id)
  else
    redis.call('HSET', job, 'status', 'queued', 'enqueued_at', enqueued_at)
    redis.call('SADD', queues, queue)
    redis.call('RPUSH', queue, id)
  end
  return true
end
