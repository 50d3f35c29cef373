--[[
  Deletes a job as RQ's job.delete() does: out of its queue or the registry of its status, its
  hash, dependents set and dependencies set deleted (the results stream is kept, as RQ keeps it);
  with delete_dependents, the jobs waiting on it are deleted too (their hashes and registry entries).

  KEYS[1]  the job hash, rq:job:<id>
  ARGV[1]  the job id
  ARGV[2]  "1" to take the job out of its queue or registry
  ARGV[3]  "1" to delete the jobs that depend on it
  ARGV[4]  the job key prefix "rq:job:"
  ARGV[5..11] the queue key prefix and registry key prefixes (see remove-from-place.lib.lua)
  ARGV[12] the group key prefix "rq:group:": a job of a group (hash field group_id) leaves its set
  Returns  1 when the job existed, else 0
]]
local job_prefix = ARGV[4]
local places = places_from(5)

local function delete(key, id)
  local group = redis.call('HGET', key, 'group_id')
  if group and group ~= '' then redis.call('SREM', ARGV[12] .. group, id) end
  redis.call('DEL', key, key .. ':dependents', job_prefix .. ':' .. id .. ':dependencies')
end

local id = ARGV[1]
local existed = redis.call('EXISTS', KEYS[1])
if ARGV[2] == '1' then remove_from_place(KEYS[1], id, places) end
if ARGV[3] == '1' then
  for _, dependent in ipairs(redis.call('SMEMBERS', KEYS[1] .. ':dependents')) do
    remove_from_place(job_prefix .. dependent, dependent, places)
    delete(job_prefix .. dependent, dependent)
  end
end
delete(KEYS[1], id)
return existed
