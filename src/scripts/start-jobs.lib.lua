--[[
  Library, prepended to finish-and-start-jobs.lua (not a script on its own).

  start_jobs(slots, queue_keys, first, round_robin, now_text, score, busy_ttl, batch, counts) takes a
  job for each worker slot in `slots` (worker names), in order, and marks each started in the same
  step, so that a job id is never held only in a worker's memory: it moves from its queue straight
  into the started registry. The end state is RQ 1.13's after its dequeue and job start (§2.7):
  the job hash started (started_at, last_heartbeat, worker_name) without TTL, the id in the
  started registry of its queue scored by its heartbeat deadline `score`, and the worker hash busy
  on it. Ids whose job hash has expired are dropped, as RQ skips them.

  Queues are tried from index `first` of `queue_keys`: each job comes from the first queue in that
  order that is not empty (RQ's default strategy; the caller shuffles the order for `random`). With
  `round_robin`, each next job is looked for from the queue after the one that gave the last, as
  RQ's round_robin. Ids are popped several at a time (LPOP with a count) where the order allows.

  batch  a sorted_set_batch() for the started-registry entries (sent by the caller)
  counts the fields that count a job that just ended, by worker hash key (see finish-job.lib.lua):
         written with the busy state, and taken out of `counts`. Such a slot goes on busy: its key
         keeps the TTL its heartbeats keep; a slot that was idle (or whose key was lost) gets the
         busy TTL, as in RQ.
  Returns { slot index, queue index, job id, job hash as HGETALL before the start } for each job
  started, in slot order; fewer than #slots when the queues ran out. The caller knows the four
  fields the start wrote.
]]
local function start_jobs(slots, queue_keys, first, round_robin, now_text, score, busy_ttl, batch, counts)
  local started = {}
  local n = #queue_keys
  local empty = {}
  local next_slot = 1
  local from = first
  while next_slot <= #slots do
    local popped, source = nil, nil
    for k = 0, n - 1 do
      local i = (from - 1 + k) % n + 1
      if not empty[i] then
        local want = round_robin and 1 or #slots - next_slot + 1
        local ids = redis.call('LPOP', queue_keys[i], want)
        if ids then
          popped, source = ids, i
          if #ids < want then empty[i] = true end
          break
        end
        empty[i] = true
      end
    end
    if not popped then break end
    local registry = started_registry_key(queue_name(queue_keys[source]))
    -- First into the started registry, before anything that could fail: an id popped must
    -- always be findable (an error later in the script does not undo the pop).
    local jobs = {}
    for _, id in ipairs(popped) do
      local hash = redis.call('HGETALL', job_key(id))
      if #hash > 0 then
        jobs[#jobs + 1] = { id, hash }
        batch.zadd(registry, score, id)
      end
    end
    batch.flush()
    for _, entry in ipairs(jobs) do
      local id, hash = entry[1], entry[2]
      local job = job_key(id)
      local worker = slots[next_slot]
      redis.call('HSET', job, 'status', 'started', 'started_at', now_text, 'last_heartbeat', now_text, 'worker_name', worker)
      redis.call('PERSIST', job)
      local slot_key = worker_key(worker)
      local ended = counts[slot_key]
      local fields = { 'current_job', id, 'current_job_working_time', '0', 'state', 'busy', 'last_heartbeat', now_text }
      if ended then
        counts[slot_key] = nil
        for _, value in ipairs(ended) do fields[#fields + 1] = value end
      end
      -- HSET answers the number of fields it created: none for the hash of a slot going on
      -- busy, whose TTL its heartbeats keep; some when the slot was idle or its key was lost.
      -- On a cluster the worker hash is in a slot of its own: the caller writes it.
      if not CLUSTER and (redis.call('HSET', slot_key, unpack(fields)) > 0 or not ended) then
        redis.call('EXPIRE', slot_key, busy_ttl)
      end
      started[#started + 1] = { next_slot, source, id, hash }
      next_slot = next_slot + 1
    end
    if round_robin then from = source % n + 1 end
  end
  return started
end
