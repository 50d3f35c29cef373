--[[
  Deletes a job as RQ's job.delete() does: out of its queue or the registry of its status, its
  hash, dependents set and dependencies set deleted (the results stream is kept, as RQ keeps it);
  with delete_dependents, the jobs waiting on it are deleted too (their hashes and registry entries).

  KEYS[1]  the job hash, rq:job:<id>
  ARGV[1]  the job id
  ARGV[2]  "1" to take the job out of its queue or registry
  ARGV[3]  "1" to delete the jobs that depend on it
  ARGV[4]  the job key prefix "rq:job:"; ARGV[5] the queue key prefix "rq:queue:"
  ARGV[6..11] registry key prefixes: started, finished, failed, deferred, scheduled, canceled
  Returns  1 when the job existed, else 0
]]
local job_prefix, queue_prefix = ARGV[4], ARGV[5]
local registry_by_status = {
  started = ARGV[6], finished = ARGV[7], failed = ARGV[8], stopped = ARGV[8],
  deferred = ARGV[9], scheduled = ARGV[10], canceled = ARGV[11],
}

local function remove_from_place(key, id)
  local fields = redis.call('HMGET', key, 'status', 'origin')
  local status, origin = fields[1], fields[2]
  if not origin then return end
  if status == 'queued' then
    redis.call('LREM', queue_prefix .. origin, 1, id)
  elseif status and registry_by_status[status] then
    redis.call('ZREM', registry_by_status[status] .. origin, id)
  end
end

local function delete(key, id)
  redis.call('DEL', key, key .. ':dependents', job_prefix .. ':' .. id .. ':dependencies')
end

local id = ARGV[1]
local existed = redis.call('EXISTS', KEYS[1])
if ARGV[2] == '1' then remove_from_place(KEYS[1], id) end
if ARGV[3] == '1' then
  for _, dependent in ipairs(redis.call('SMEMBERS', KEYS[1] .. ':dependents')) do
    remove_from_place(job_prefix .. dependent, dependent)
    delete(job_prefix .. dependent, dependent)
  end
end
delete(KEYS[1], id)
return existed
