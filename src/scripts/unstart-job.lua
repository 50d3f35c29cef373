--[[
  Puts back at the head of its queue a job that a worker slot has just started but will not run
  now (it was abandoned before, and may only run with no other job beside it): out of the started
  registry, status queued again, and the slot's worker hash idle. Fenced as an ending is: left
  alone unless the job is still started by this slot, with this start time.

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  the started registry of its queue, rq:wip:<queue>
  KEYS[3]  its queue, rq:queue:<queue>
  KEYS[4]  the slot's worker hash, rq:worker:<name>
  ARGV[1]  the job id
  ARGV[2]  the slot's worker name
  ARGV[3]  started_at as the start wrote it (the fence)
  Returns  1 when put back, 0 when fenced
]]
local current = redis.call('HMGET', KEYS[1], 'status', 'worker_name', 'started_at')
if current[1] ~= 'started' or current[2] ~= ARGV[2] or current[3] ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'queued')
redis.call('HDEL', KEYS[1], 'started_at', 'worker_name')
redis.call('LPUSH', KEYS[3], ARGV[1])
if redis.call('HGET', KEYS[4], 'current_job') == ARGV[1] then
  redis.call('HDEL', KEYS[4], 'current_job', 'current_job_working_time')
  redis.call('HSET', KEYS[4], 'state', 'idle')
end
return 1
