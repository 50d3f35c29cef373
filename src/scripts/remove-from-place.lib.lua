--[[
  Library, prepended to the scripts that take a job out of where it waits (not a script on its own).

  remove_from_place(key, id, places): takes job `id` (hash `key`) out of its queue when it is
  queued, else out of the registry of its status, as RQ's job._remove_from_registries.
  `places` = { queue = "rq:queue:", started = "rq:wip:", finished = "rq:finished:", failed =
  "rq:failed:", deferred = "rq:deferred:", scheduled = "rq:scheduled:", canceled = "rq:canceled:" }.
  Returns the status the job had (false when the hash is gone).
]]
local function remove_from_place(key, id, places)
  local fields = redis.call('HMGET', key, 'status', 'origin')
  local status, origin = fields[1], fields[2]
  if not origin then return status end
  if status == 'queued' then
    redis.call('LREM', places.queue .. origin, 1, id)
  else
    local registry = places[status == 'stopped' and 'failed' or status]
    if registry and status ~= 'queue' then redis.call('ZREM', registry .. origin, id) end
  end
  return status
end

--- The `places` table from ARGV[first .. first+6]: queue, started, finished, failed, deferred, scheduled, canceled prefixes.
local function places_from(first)
  return {
    queue = ARGV[first], started = ARGV[first + 1], finished = ARGV[first + 2], failed = ARGV[first + 3],
    deferred = ARGV[first + 4], scheduled = ARGV[first + 5], canceled = ARGV[first + 6],
  }
end
