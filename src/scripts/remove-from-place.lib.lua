--[[
  Library, prepended to the scripts that take a job out of where it waits (not a script on its own).

  remove_from_place(key, id): takes job `id` (hash `key`) out of its queue when it is queued, else
  out of the registry of its status (a stopped job's is the failed registry), as RQ's
  job._remove_from_registries.
  Returns the status the job had (false when the hash is gone).
]]
local function remove_from_place(key, id)
  local fields = redis.call('HMGET', key, 'status', 'origin')
  local status, origin = fields[1], fields[2]
  if not origin then return status end
  if status == 'queued' then
    redis.call('LREM', queue_key(origin), 1, id)
  else
    local registry = REGISTRY_OF_STATUS[status]
    if registry then redis.call('ZREM', registry(origin), id) end
  end
  return status
end
