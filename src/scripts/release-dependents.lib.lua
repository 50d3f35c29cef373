--[[
  Library, prepended to the scripts that end or cancel a job, and to release-dependent.lua (not
  a script on its own).

  release_if_met(id, parent, parent_status, exclude, queues, now_text, known): enqueues deferred
  job `id` when its dependencies are all met, as RQ 1.13's Queue.enqueue_dependents decides: each
  dependency `finished`, or `failed` when the job allows failures; a `canceled` parent never
  releases (unless it is `exclude`, RQ's exclude_job_id, used by cancel with enqueue_dependents).
  `parent` (the job that just ended, or "" for none) counts with `parent_status`. A released job
  leaves the deferred registry of its own queue and is pushed on that queue (at the head with
  enqueue_at_front=1), status queued, its queue added to `queues` (rq:queues).
  On a cluster a dependency in another slot (another tag: the prelude's same_slot) cannot be read here:
  its status comes from `known` (id -> status, read by the caller), and one missing counts as
  not met. Returns "released", "gone" (no such job), "waiting" (not deferred, or not all met),
  or "elsewhere" when a dependency's status is in another slot and not in `known`.

  release_dependents(parent, parent_status, exclude, queues, now_text): does that for every job
  in `parent`'s dependents set. Released and vanished ids leave the set, which is deleted once
  empty. On a cluster, a dependent whose hash is in another slot, or that waits on a job of
  another slot, is left to the caller: appended to RELEASE_ELSEWHERE as { parent, parent_status,
  exclude, id } (see step.ts), and stays in the set until it is released.
  Returns the number of jobs released, and whether the dependents set remains (some still wait).
]]
local RELEASE_ELSEWHERE = {}

local function release_if_met(id, parent, parent_status, exclude, queues, now_text, known)
  local job = job_key(id)
  local fields = redis.call('HMGET', job, 'status', 'origin', 'allow_dependency_failures', 'enqueue_at_front', 'rate_limit_key')
  local status, origin = fields[1], fields[2]
  if not status then return 'gone' end
  if status ~= 'deferred' or not origin then return 'waiting' end
  local allow_failure = fields[3] == '1'
  local function met(dependency, dependency_status)
    if dependency == exclude then return true end
    if dependency_status == 'canceled' then return false end
    return dependency_status == 'finished' or (allow_failure and dependency_status == 'failed')
  end
  if parent ~= '' and not met(parent, parent_status) then return 'waiting' end
  for _, dependency in ipairs(redis.call('SMEMBERS', dependencies_key(id))) do
    if dependency ~= parent and dependency ~= exclude then
      local dependency_status
      if same_slot(dependency, id) then
        dependency_status = redis.call('HGET', job_key(dependency), 'status')
      else
        dependency_status = known[dependency]
        if dependency_status == nil then return 'elsewhere' end
      end
      -- A dependency that no longer exists counts as met, as in RQ.
      if dependency_status and dependency_status ~= '' and not met(dependency, dependency_status) then return 'waiting' end
    end
  end
  redis.call('ZREM', deferred_registry_key(origin), id)
  local queue = queue_key(origin)
  add_queue(queues, queue)
  if fields[5] then
    -- A rate-limited job: admitted as at enqueue, waiting for a slot of its limit (rate-limit.lib.lua).
    local now = server_time()
    rate_limit().park(fields[5], id, now)
    rate_limit().acquire(fields[5], now, now_text)
    return 'released'
  end
  redis.call('HSET', job, 'status', 'queued', 'enqueued_at', now_text)
  if fields[4] == '1' then redis.call('LPUSH', queue, id) else redis.call('RPUSH', queue, id) end
  return 'released'
end

local function release_dependents(parent, parent_status, exclude, queues, now_text)
  local dependents = dependents_key(parent)
  local ids = redis.call('SMEMBERS', dependents)
  if #ids == 0 then return 0, false end
  local done = {}
  local released = 0
  for _, id in ipairs(ids) do
    local outcome = 'elsewhere'
    if same_slot(id, parent) then outcome = release_if_met(id, parent, parent_status, exclude, queues, now_text, {}) end
    if outcome == 'elsewhere' then
      RELEASE_ELSEWHERE[#RELEASE_ELSEWHERE + 1] = { parent, parent_status, exclude, id }
    elseif outcome ~= 'waiting' then
      table.insert(done, id)
      if outcome == 'released' then released = released + 1 end
    end
  end
  if #done == #ids then
    redis.call('DEL', dependents)
    return released, false
  end
  if #done > 0 then redis.call('SREM', dependents, unpack(done)) end
  return released, true
end
