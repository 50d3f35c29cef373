--[[
  Library, prepended to finish-and-start-jobs.lua (not a script on its own), after
  run-again.lib.lua.

  repeat_job(job, id, queue, scheduled, queues, now, enqueued_at): when the job hash `job` has
  repeats left (RQ 2.3's `repeats_left`), puts the finished job back for its next run and returns
  the status it now has ("queued" or "scheduled"); else returns false. As RQ 2.3's Repeat.schedule: the wait is
  repeat_intervals[min(repeats_left - 1, #intervals - 1)] (0-based, repeats_left before it goes
  down: the list is read from its end), then `repeats_left` goes down by one; a wait of 0 enqueues
  the job at the tail of `queue` (status queued, enqueued_at), a wait above 0 schedules it (status
  scheduled, ZADD `scheduled` at now + wait). `now` is server time in epoch seconds.
]]
local function repeat_job(job, id, queue, scheduled, queues, now, enqueued_at)
  local fields = redis.call('HMGET', job, 'repeats_left', 'repeat_intervals')
  local left = tonumber(fields[1] or '') or 0
  if left <= 0 then return false end
  local intervals = intervals_of(fields[2])
  local wait = 0
  if #intervals > 0 then wait = tonumber(intervals[math.min(left, #intervals)]) or 0 end
  redis.call('HSET', job, 'repeats_left', left - 1)
  return run_again(job, id, queue, scheduled, queues, now, enqueued_at, wait)
end
