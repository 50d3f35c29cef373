--[[
  Ends a started job, as RQ 1.13's worker does on success or failure (RQ-REFERENCE.md §2.6, §2.7):
  status and ended_at, a results-stream entry, the finished or failed registry with its TTLs, the
  job out of the started registry, and the worker's counters. Fenced: a job no longer started by
  this worker (declared abandoned and handed to another meanwhile) is left alone.

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  the started registry, rq:wip:<queue>
  KEYS[3]  the registry the job ends in: rq:finished:<queue> or rq:failed:<queue>
  KEYS[4]  the results stream, rq:results:<id>
  KEYS[5]  the worker hash, rq:worker:<name>
  KEYS[6]  rq:job:<id>:dependents
  KEYS[7]  rq:job::<id>:dependencies
  ARGV[1]  the job id
  ARGV[2]  the worker name
  ARGV[3]  outcome: "finished" or "failed"
  ARGV[4]  ended_at, as RQ timestamp text
  ARGV[5]  TTL in seconds: result_ttl when finished (-1 forever, 0 delete), failure_ttl when failed
  ARGV[6]  1 when the TTL came from the job itself (a failed job's stream then expires with it)
  ARGV[7]  the result field name ("return_value" or "exc_string"), or "" for none
  ARGV[8]  the result field value (base64)
  ARGV[9]  seconds the job ran (for total_working_time)
  ARGV[10] the worker key TTL in seconds once idle
  Returns  1 when done, 0 when fenced off
]]
local id, worker = ARGV[1], ARGV[2]
if redis.call('HGET', KEYS[1], 'worker_name') ~= worker or redis.call('HGET', KEYS[1], 'status') ~= 'started' then
  return 0
end
local finished = ARGV[3] == 'finished'
local ttl = tonumber(ARGV[5])
local now = tonumber(redis.call('TIME')[1])

redis.call('ZREM', KEYS[2], id)
if finished and ttl == 0 then
  redis.call('DEL', KEYS[1], KEYS[6], KEYS[7])
else
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'ended_at', ARGV[4])
  if ARGV[7] ~= '' then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', '10', '*', 'type', finished and '1' or '2', ARGV[7], ARGV[8])
  else
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', '10', '*', 'type', finished and '1' or '2')
  end
  if ttl == -1 then
    redis.call('PERSIST', KEYS[1])
    redis.call('PERSIST', KEYS[4])
    -- RQ scores "forever" as +inf in the finished registry but as -1 in the failed one.
    redis.call('ZADD', KEYS[3], finished and '+inf' or '-1', id)
  else
    redis.call('EXPIRE', KEYS[1], ttl)
    redis.call('EXPIRE', KEYS[6], ttl)
    redis.call('EXPIRE', KEYS[7], ttl)
    if finished or ARGV[6] == '1' then redis.call('EXPIRE', KEYS[4], ttl) end
    redis.call('ZADD', KEYS[3], now + ttl, id)
  end
end

redis.call('HINCRBY', KEYS[5], finished and 'successful_job_count' or 'failed_job_count', 1)
redis.call('HINCRBYFLOAT', KEYS[5], 'total_working_time', ARGV[9])
redis.call('HDEL', KEYS[5], 'current_job', 'current_job_working_time')
redis.call('HSET', KEYS[5], 'state', 'idle', 'last_heartbeat', ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[10])
return 1
