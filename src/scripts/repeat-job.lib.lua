--[[
  Library, prepended to finish-and-start-jobs.lua (not a script on its own).

  repeat_job(job, id, queue, scheduled, queues, now, enqueued_at): when the job hash `job` has
  repeats left (RQ 2.3's `repeats_left`), puts the finished job back for its next run and returns
  true; else returns false. As RQ 2.3's Repeat.schedule: the wait is
  repeat_intervals[min(repeats_left - 1, #intervals - 1)] (0-based, repeats_left before it goes
  down: the list is read from its end), then `repeats_left` goes down by one; a wait of 0 enqueues
  the job at the tail of `queue` (status queued, enqueued_at), a wait above 0 schedules it (status
  scheduled, ZADD `scheduled` at now + wait). `now` is server time in epoch seconds.
]]
local function repeat_job(job, id, queue, scheduled, queues, now, enqueued_at)
  local fields = redis.call('HMGET', job, 'repeats_left', 'repeat_intervals')
  local left = tonumber(fields[1] or '') or 0
  if left <= 0 then return false end
  local ok, intervals = pcall(cjson.decode, fields[2] or '[]')
  if not ok or type(intervals) ~= 'table' then intervals = {} end
  local wait = 0
  if #intervals > 0 then wait = tonumber(intervals[math.min(left, #intervals)]) or 0 end
  redis.call('HSET', job, 'repeats_left', left - 1)
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
