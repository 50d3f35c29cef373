--[[
  Library, prepended to finish-and-start-jobs.lua (not a script on its own).

  start_job(queue_keys, first, worker, now_text, score, busy_ttl, p) takes the next job for
  worker slot `worker` and marks it started, in the same step, so that a job id is never held only
  in a worker's memory: it moves from its queue straight into the started registry. Queues are
  tried in order from index `first`, wrapping around; ids whose job hash has expired are dropped,
  as RQ skips them. The end state is RQ 1.13's after its dequeue and job start (§2.7): the job
  hash started (started_at, last_heartbeat, worker_name) without TTL, the id in the started
  registry scored by its heartbeat deadline `score`, and the worker hash busy on it.

  p    key prefixes (see finish-job.lib.lua): job, queue, started, worker
  Returns the index of the queue it came from, the job id and the job hash (flat, as HGETALL)
  as it was before the start: the caller knows the four fields the start wrote. Or nil when every
  queue is empty.
]]
local function start_job(queue_keys, first, worker, now_text, score, busy_ttl, p)
  local n = #queue_keys
  for k = 0, n - 1 do
    local i = (first - 1 + k) % n + 1
    local queue_key = queue_keys[i]
    local id = redis.call('LPOP', queue_key)
    while id do
      local job = p.job .. id
      local hash = redis.call('HGETALL', job)
      if #hash > 0 then
        redis.call('HSET', job, 'status', 'started', 'started_at', now_text, 'last_heartbeat', now_text, 'worker_name', worker)
        redis.call('PERSIST', job)
        redis.call('ZADD', p.started .. string.sub(queue_key, #p.queue + 1), score, id)
        local worker_key = p.worker .. worker
        redis.call('HSET', worker_key, 'current_job', id, 'current_job_working_time', '0', 'state', 'busy', 'last_heartbeat', now_text)
        redis.call('EXPIRE', worker_key, busy_ttl)
        return i, id, hash
      end
      id = redis.call('LPOP', queue_key)
    end
  end
  return nil
end
