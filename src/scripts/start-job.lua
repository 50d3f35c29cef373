--[[
  Takes the next job for a worker and marks it started, in one step, so that a job id is never
  held only in the worker's memory: it moves from its queue straight into the started registry.
  Queues are tried in priority order; ids whose job hash has expired are dropped, as RQ skips them.
  The end state is RQ 1.13's after its dequeue and job start (RQ-REFERENCE.md §2.7).

  KEYS[1]       the worker hash, rq:worker:<name>
  KEYS[2..n]    the queue lists, rq:queue:<name>, highest priority first
  ARGV[1]       the job key prefix, "rq:job:"
  ARGV[2]       the started registry key prefix, "rq:wip:"
  ARGV[3]       the worker name
  ARGV[4]       now, as RQ timestamp text (started_at, last_heartbeat)
  ARGV[5]       heartbeat TTL in seconds: the started-registry score is server time + this
  ARGV[6]       the worker key TTL in seconds while busy
  ARGV[7]       the queue key prefix, "rq:queue:"
  Returns       false when every queue is empty, else { queue key, job id, flat job hash }
]]
local now = redis.call('TIME')
local score = tonumber(now[1]) + tonumber(ARGV[5])
for i = 2, #KEYS do
  while true do
    local id = redis.call('LPOP', KEYS[i])
    if not id then break end
    local job = ARGV[1] .. id
    if redis.call('EXISTS', job) == 1 then
      local queue = string.sub(KEYS[i], #ARGV[7] + 1)
      redis.call('HSET', job, 'status', 'started', 'started_at', ARGV[4], 'last_heartbeat', ARGV[4], 'worker_name', ARGV[3])
      redis.call('PERSIST', job)
      redis.call('ZADD', ARGV[2] .. queue, score, id)
      redis.call('HSET', KEYS[1], 'current_job', id, 'current_job_working_time', '0', 'state', 'busy', 'last_heartbeat', ARGV[4])
      redis.call('EXPIRE', KEYS[1], ARGV[6])
      return { KEYS[i], id, redis.call('HGETALL', job) }
    end
  end
end
return false
