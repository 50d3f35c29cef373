--[[
  Library, prepended to the scripts that put a job back for another run (not a script on its
  own): retry-job.lib.lua (after a failure) and repeat-job.lib.lua (after a success).

  intervals_of(text): the list of waits in seconds that `retry_intervals` or `repeat_intervals`
  holds (Python's JSON list), or {} for a missing or unreadable field.

  run_again(job, id, queue, scheduled, queues, now, enqueued_at, wait): a wait above 0 schedules
  the job (status scheduled, ZADD `scheduled` at now + wait); 0 enqueues it at the tail of `queue`
  (status queued, enqueued_at, the queue in `queues`). `now` is server time in epoch seconds.
  Returns the status it wrote, "scheduled" or "queued".
]]
local function intervals_of(text)
  local ok, intervals = pcall(cjson.decode, text or '[]')
  if not ok or type(intervals) ~= 'table' then return {} end
  return intervals
end

local function run_again(job, id, queue, scheduled, queues, now, enqueued_at, wait)
  if wait > 0 then
    redis.call('HSET', job, 'status', 'scheduled')
    redis.call('ZADD', scheduled, now + wait, id)
    return 'scheduled'
  else
    redis.call('HSET', job, 'status', 'queued', 'enqueued_at', enqueued_at)
    add_queue(queues, queue)
    redis.call('RPUSH', queue, id)
    return 'queued'
  end
end
