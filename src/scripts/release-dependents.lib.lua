--[[
  Library, prepended to the scripts that end or cancel a job (not a script on its own).

  release_dependents(parent, parent_status, exclude, queues, now_text): enqueues the deferred
  jobs that wait on job `parent` and whose dependencies are now all met, as RQ 1.13's
  Queue.enqueue_dependents: each dependency `finished`, or `failed` when the dependent allows
  failures; a `canceled` parent never releases (unless it is `exclude`, RQ's exclude_job_id, used by
  cancel with enqueue_dependents). A released job leaves the deferred registry of its own queue and
  is pushed on that queue (at the head with enqueue_at_front=1), status queued. Released and
  vanished ids leave the parent's dependents set, which is deleted once empty. `queues` is the key
  of rq:queues, which a released job's queue joins.
  Returns the number of jobs released, and whether the dependents set remains (some still wait).
]]
local function release_dependents(parent, parent_status, exclude, queues, now_text)
  local dependents = dependents_key(parent)
  local ids = redis.call('SMEMBERS', dependents)
  if #ids == 0 then return 0, false end
  local done = {}
  local released = 0
  for _, id in ipairs(ids) do
    local job = job_key(id)
    local fields = redis.call('HMGET', job, 'status', 'origin', 'allow_dependency_failures', 'enqueue_at_front')
    local status, origin = fields[1], fields[2]
    if not status then
      table.insert(done, id)
    elseif status == 'deferred' and origin then
      local allow_failure = fields[3] == '1'
      local met = true
      if parent ~= exclude and (parent_status == 'canceled' or (parent_status == 'failed' and not allow_failure) or (parent_status ~= 'finished' and parent_status ~= 'failed')) then
        met = false
      end
      if met then
        for _, dependency in ipairs(redis.call('SMEMBERS', dependencies_key(id))) do
          if dependency ~= parent and dependency ~= exclude then
            local dependency_status = redis.call('HGET', job_key(dependency), 'status')
            if dependency_status and dependency_status ~= 'finished' and not (allow_failure and dependency_status == 'failed') then
              met = false
              break
            end
          end
        end
      end
      if met then
        redis.call('ZREM', deferred_registry_key(origin), id)
        redis.call('HSET', job, 'status', 'queued', 'enqueued_at', now_text)
        local queue = queue_key(origin)
        add_queue(queues, queue)
        if fields[4] == '1' then redis.call('LPUSH', queue, id) else redis.call('RPUSH', queue, id) end
        table.insert(done, id)
        released = released + 1
      end
    end
  end
  if #done == #ids then
    redis.call('DEL', dependents)
    return released, false
  end
  if #done > 0 then redis.call('SREM', dependents, unpack(done)) end
  return released, true
end
