--[[
  Ends a started job as RQ 1.13's worker does (RQ-REFERENCE.md §2.6, §2.7), in one step:
  - finished: status and ended_at, a results entry (type 1), the finished registry and the TTLs
    of result_ttl (-1 keeps everything, 0 deletes the job and writes no result);
  - failed: retried when retries are left (see retry-job.lib.lua: no result entry, no failed
    registry), else status failed, a results entry (type 2), the failed registry, failure_ttl;
  - stopped (stop-job command): as failed, with status stopped and never retried.
  Then the job leaves the started registry and the worker hash counts it and goes idle.
  Fenced: a job that is no longer this execution's (not started, another worker, another start
  time: it was declared abandoned and handed on meanwhile) is left alone.

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  the started registry, rq:wip:<queue>
  KEYS[3]  the registry the job ends in: rq:finished:<queue> or rq:failed:<queue>
  KEYS[4]  the results stream, rq:results:<id>
  KEYS[5]  the worker hash, rq:worker:<name>
  KEYS[6]  rq:job:<id>:dependents
  KEYS[7]  rq:job::<id>:dependencies
  KEYS[8]  the queue list, rq:queue:<queue> (for a retry)
  KEYS[9]  the scheduled registry, rq:scheduled:<queue> (for a retry)
  KEYS[10] rq:queues
  ARGV[1]  the job id
  ARGV[2]  the worker name
  ARGV[3]  outcome: "finished", "failed" or "stopped"
  ARGV[4]  now, as RQ timestamp text (ended_at; enqueued_at of a retry)
  ARGV[5]  TTL in seconds: result_ttl when finished (-1 forever, 0 delete), failure_ttl otherwise
  ARGV[6]  1 when the failure TTL came from the job itself (the results stream then expires too)
  ARGV[7]  the result field name ("return_value" or "exc_string"), or "" for none
  ARGV[8]  the result field value (base64)
  ARGV[9]  seconds the job ran (for total_working_time)
  ARGV[10] the worker key TTL in seconds once idle
  ARGV[11] started_at of this execution, as written when it started
  ARGV[12] "1" when no worker ran the job (a queue with isAsync false): KEYS[5] is then untouched
  ARGV[13] "1" when the worker's default exception handler is disabled: a failed or stopped job
           gets its status and ended_at only (no result entry, no failed registry, no TTL), as RQ
  ARGV[14] the job key prefix "rq:job:"; ARGV[15] the queue key prefix "rq:queue:";
  ARGV[16] the deferred registry prefix "rq:deferred:" (to release dependents: see
           release-dependents.lib.lua; a finished job releases them, a failed one those that
           allow failures, a retried or stopped one none)
  Returns  "finished", "failed", "stopped" or "retried"; "fenced" when the job was not this execution's
]]
local id, worker, outcome = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HMGET', KEYS[1], 'worker_name', 'status', 'started_at')
if current[1] ~= worker or current[2] ~= 'started' or current[3] ~= ARGV[11] then
  return 'fenced'
end
local finished = outcome == 'finished'
local ttl = tonumber(ARGV[5])
local now = tonumber(redis.call('TIME')[1])

redis.call('ZREM', KEYS[2], id)
if outcome == 'finished' or (outcome == 'failed' and (tonumber(redis.call('HGET', KEYS[1], 'retries_left') or '0') or 0) <= 0) then
  -- Before a result_ttl of 0 deletes the dependents set, as RQ enqueues dependents first.
  local prefixes = { job = ARGV[14], queue = ARGV[15], deferred = ARGV[16], queues = KEYS[10] }
  release_dependents(id, outcome, '', prefixes, ARGV[4])
end
if outcome == 'failed' and retry_job(KEYS[1], id, KEYS[8], KEYS[9], KEYS[10], now, ARGV[4]) then
  redis.call('HSET', KEYS[1], 'ended_at', ARGV[4])
  outcome = 'retried'
elseif finished and ttl == 0 then
  redis.call('DEL', KEYS[1], KEYS[6], KEYS[7])
elseif not finished and ARGV[13] == '1' then
  redis.call('HSET', KEYS[1], 'status', outcome, 'ended_at', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'status', outcome, 'ended_at', ARGV[4])
  local entry = { 'XADD', KEYS[4], 'MAXLEN', '~', '10', '*', 'type', finished and '1' or '2' }
  if ARGV[7] ~= '' then
    table.insert(entry, ARGV[7])
    table.insert(entry, ARGV[8])
  end
  redis.call(unpack(entry))
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

if ARGV[12] == '1' then return outcome end
redis.call('HINCRBY', KEYS[5], finished and 'successful_job_count' or 'failed_job_count', 1)
redis.call('HINCRBYFLOAT', KEYS[5], 'total_working_time', ARGV[9])
redis.call('HDEL', KEYS[5], 'current_job', 'current_job_working_time')
redis.call('HSET', KEYS[5], 'state', 'idle', 'last_heartbeat', ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[10])
return outcome
