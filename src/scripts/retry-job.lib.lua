--[[
  Library, prepended to the scripts that retry failed jobs (not a script on its own), after
  run-again.lib.lua.

  retry_job(job, id, queue, scheduled, queues, now, enqueued_at): when the job hash `job` has
  retries left, retries it as RQ 1.13's Job.retry() does and returns the status it now has
  ("queued" or "scheduled"); else returns false.
  The wait comes from `retry_intervals` by RQ 1.13's index rule,
  index = max(#intervals - retries_left, 0) with retries_left before decrementing: a wait above 0
  schedules the job (status scheduled, ZADD `scheduled` at now + wait), 0 enqueues it at the tail
  of `queue` (status queued, enqueued_at). `now` is server time in epoch seconds.
]]
local function retry_job(job, id, queue, scheduled, queues, now, enqueued_at)
  local fields = redis.call('HMGET', job, 'retries_left', 'retry_intervals')
  local retries = tonumber(fields[1] or '') or 0
  if retries <= 0 then return false end
  local intervals = intervals_of(fields[2])
  local wait = 0
  if #intervals > 0 then wait = tonumber(intervals[math.max(#intervals - retries, 0) + 1]) or 0 end
  redis.call('HSET', job, 'retries_left', retries - 1)
  return run_again(job, id, queue, scheduled, queues, now, enqueued_at, wait)
end
