--[[
  Library, prepended to the scripts that take a job out of where it waits (not a script on its own).

  remove_from_place(key, id): takes job `id` (hash `key`) out of its queue when it is queued, else
  out of the registry of its status (a stopped job's is the failed registry), as RQ's
  job._remove_from_registries; a rate-limited job also leaves its limit's sets
  (rate-limit.lib.lua, which the script includes, with server-time.lib.lua).
  Returns the status the job had (false when the hash is gone).
]]
local function remove_from_place(key, id)
  local fields = redis.call('HMGET', key, 'status', 'origin', 'rate_limit_key')
  local status, origin = fields[1], fields[2]
  if fields[3] and fields[3] ~= '' then
    -- Out of its rate limit's sets; a slot it held goes to the next waiting job (as RQ's cancel).
    local now = server_time()
    rate_limit().forget(fields[3], id, now, now.text)
  end
  if not origin then return status end
  if status == 'queued' then
    redis.call('LREM', queue_key(origin), 1, id)
  else
    local registry = REGISTRY_OF_STATUS[status]
    if registry then redis.call('ZREM', registry(origin), id) end
  end
  return status
end
