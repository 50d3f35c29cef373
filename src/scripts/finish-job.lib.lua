--[[
  Library, prepended to finish-and-start-jobs.lua (not a script on its own).

  finish_job(e, now, now_text, queues, no_default_handler, batch) ends one started job as RQ 1.13's
  worker does (RQ-REFERENCE.md §2.6, §2.7):
  - finished: status and ended_at, a results entry (type 1), the finished registry and the TTLs
    of result_ttl (-1 keeps everything, 0 deletes the job and writes no result);
  - failed: retried when retries are left (see retry-job.lib.lua: no result entry, no failed
    registry), else status failed, a results entry (type 2), the failed registry, failure_ttl;
  - stopped (stop-job command): as failed, with status stopped and never retried.
  - repeated (RQ 2.3's Repeat): finished as above, but the job hash keeps no TTL (nor is it deleted
    by a result_ttl of 0), and repeat-job.lib.lua puts it back on its queue or in the scheduled
    registry; the finished registry keeps its entry, as in RQ.
  - held (the job threw RateLimitError): neither a result nor a failure, nor a retry used; a job
    under a rate limit gives its slot back, waits first in line and holds its key for hold_ms
    (rate_limit_hold); one without waits hold_ms in the scheduled registry. It releases no
    dependents and the worker counts only its working time.
  Dependents are released as release-dependents.lib.lua says: by a finished job, by a failed one
  those that allow failures, by a retried or stopped one none; before a result_ttl of 0 deletes
  the dependents set, as RQ enqueues dependents first. Then the job leaves the started registry,
  and the worker hash, if a worker ran the job, counts it: the worker sends its totals after this
  job (RQ counts with HINCRBY and HINCRBYFLOAT; one HSET of the totals leaves the same fields), and
  the caller writes them with the slot's next state, busy on another job or idle.
  RQ expires the job's dependents and dependencies sets with the job; EXPIRE of a key that does not
  exist does nothing, so it is sent only for sets that exist: dependencies when the job has
  dependency_ids (or RQ's older dependency_id), dependents when some dependents still wait.
  Fenced: a job that is no longer this execution's (not started, another worker, another start
  time: it was declared abandoned and handed on meanwhile) is left alone.

  e   the ending, its fields read by name as e[ENDING.<field>] (ending.ts' ENDING_FIELDS says
      what each holds: id, queue, worker, outcome, ttl, own_failure_ttl, result_field,
      result_value, seconds, started_at, has_worker_hash, count, working_time, repeats)
  now         server time, epoch seconds; now_text the same as RQ timestamp text
  queues      the key of rq:queues
  no_default_handler  true when the worker's default exception handler is disabled: a failed or
              stopped job then gets its status and ended_at only (no result, no registry, no TTL)
  batch       a sorted_set_batch() for the registry entries (the caller sends it)
  Returns "finished", "failed", "stopped", "retried", "repeated", "held" or "fenced"; when a worker
  ran the job, its worker hash key and the fields that count the job there (else nil, nil); and for
  a retried, repeated or held job the status it now has, "queued", "scheduled" or "rate_limited".
]]
-- The held ending of finish_job: back to wait for its key, or scheduled hold_ms later without one.
local function hold_job(e, job, id, queue, limit)
  local wait = tonumber(e[ENDING.hold_ms]) or 0
  local again = 'rate_limited'
  local time = server_time()
  if limit and limit ~= '' then
    rate_limit().hold(limit, id, wait, time)
  else
    -- Whole seconds, as RQ scores scheduled jobs: never before the hold is over.
    redis.call('HSET', job, 'status', 'scheduled')
    redis.call('ZADD', scheduled_registry_key(queue), math.ceil(time.seconds + wait / 1000), id)
    again = 'scheduled'
  end
  if e[ENDING.has_worker_hash] ~= '1' then return 'held', nil, nil, again end
  return 'held', worker_key(e[ENDING.worker]), { 'total_working_time', e[ENDING.working_time] }, again
end

local function finish_job(e, now, now_text, queues, no_default_handler, batch)
  local id, queue, worker, outcome = e[ENDING.id], e[ENDING.queue], e[ENDING.worker], e[ENDING.outcome]
  local job = job_key(id)
  local current = redis.call('HMGET', job, 'worker_name', 'status', 'started_at', 'dependency_ids', 'dependency_id', 'group_id', 'rate_limit_key')
  if current[1] ~= worker or current[2] ~= 'started' or current[3] ~= e[ENDING.started_at] then
    return 'fenced'
  end
  local has_dependencies = (current[4] and current[4] ~= '') or (current[5] and current[5] ~= '')
  local has_dependents = false
  local finished = outcome == 'finished'
  local repeating = finished and e[ENDING.repeats] == '1' and (tonumber(redis.call('HGET', job, 'repeats_left') or '') or 0) > 0
  local ttl = tonumber(e[ENDING.ttl])
  local results = results_key(id)
  local dependents = dependents_key(id)
  local dependencies = dependencies_key(id)

  batch.zrem(started_registry_key(queue), id)
  if outcome == 'held' then return hold_job(e, job, id, queue, current[7]) end
  -- A retried job releases no dependents; one that finished, or failed for good, may.
  local retried = outcome == 'failed' and retry_job(job, id, queue_key(queue), scheduled_registry_key(queue), queues, now, now_text)
  if finished or (outcome == 'failed' and not retried) then
    local _
    _, has_dependents = release_dependents(id, outcome, '', queues, now_text)
  else
    has_dependents = redis.call('EXISTS', dependents) == 1
  end
  local again = retried
  if retried then
    redis.call('HSET', job, 'ended_at', now_text)
    outcome = 'retried'
  elseif finished and ttl == 0 then
    if not repeating then
      redis.call('DEL', job, dependents, dependencies)
      -- As RQ 2.x's job.delete(): a deleted job leaves its group.
      if current[6] and current[6] ~= '' and not CLUSTER then redis.call('SREM', group_key(current[6]), id) end
    end
  elseif not finished and no_default_handler then
    redis.call('HSET', job, 'status', outcome, 'ended_at', now_text)
  else
    redis.call('HSET', job, 'status', outcome, 'ended_at', now_text)
    if e[ENDING.result_field] ~= '' then
      redis.call('XADD', results, 'MAXLEN', '~', RESULTS_STREAM_MAXLEN, '*', 'type', finished and '1' or '2', e[ENDING.result_field], e[ENDING.result_value])
    else
      redis.call('XADD', results, 'MAXLEN', '~', RESULTS_STREAM_MAXLEN, '*', 'type', finished and '1' or '2')
    end
    local registry = (finished and finished_registry_key or failed_registry_key)(queue)
    if ttl == -1 then
      redis.call('PERSIST', job)
      redis.call('PERSIST', results)
      -- RQ scores "forever" as +inf in the finished registry but as -1 in the failed one.
      batch.zadd(registry, finished and '+inf' or '-1', id)
    else
      if not repeating then
        redis.call('EXPIRE', job, ttl)
        if has_dependents then redis.call('EXPIRE', dependents, ttl) end
        if has_dependencies then redis.call('EXPIRE', dependencies, ttl) end
      end
      if finished or e[ENDING.own_failure_ttl] == '1' then redis.call('EXPIRE', results, ttl) end
      batch.zadd(registry, now + ttl, id)
    end
  end

  if repeating then
    again = repeat_job(job, id, queue_key(queue), scheduled_registry_key(queue), queues, now, now_text)
    outcome = 'repeated'
  end

  -- A rate limit's slot is given back, but for a job back on its queue at once (an immediate retry
  -- or repeat keeps it, as in RQ): the next waiting job goes on its queue.
  if current[7] and current[7] ~= '' and again ~= 'queued' then
    rate_limit().release(current[7], id, server_time(), now_text)
  end

  if e[ENDING.has_worker_hash] ~= '1' then return outcome, nil, nil, again end
  return outcome, worker_key(worker), { finished and 'successful_job_count' or 'failed_job_count', e[ENDING.count], 'total_working_time', e[ENDING.working_time] }, again
end

-- The worker hash of a slot with no job: RQ's idle state, with the counts of the job that ended.
local function set_worker_idle(worker_key, now_text, idle_ttl, counts)
  if CLUSTER then return end -- its own slot: the caller writes it (finish-and-start-jobs.ts)
  redis.call('HDEL', worker_key, 'current_job', 'current_job_working_time')
  redis.call('HSET', worker_key, 'state', 'idle', 'last_heartbeat', now_text, unpack(counts))
  redis.call('EXPIRE', worker_key, idle_ttl)
end
