--[[
  Deletes a job as RQ's job.delete() does: out of its queue or the registry of its status, its
  hash, dependents set and dependencies set deleted (the results stream is kept, as RQ keeps it);
  with delete_dependents, the jobs waiting on it are deleted too (their hashes and registry entries).
  A job of a group (hash field group_id) leaves its group's set.

  KEYS[1]  the job hash, rq:job:<id>
  ARGV[1]  the job id
  ARGV[2]  "1" to take the job out of its queue or registry
  ARGV[3]  "1" to delete the jobs that depend on it
  Returns  1 when the job existed, else 0; on a cluster, with dependents to delete in other slots,
           { 1 or 0, id... }: the caller deletes those
]]
local function delete(key, id)
  local group = redis.call('HGET', key, 'group_id')
  if group and group ~= '' and not CLUSTER then redis.call('SREM', group_key(group), id) end
  redis.call('DEL', key, dependents_key(id), dependencies_key(id))
end

local id = ARGV[1]
local existed = redis.call('EXISTS', KEYS[1])
local elsewhere = {}
if ARGV[2] == '1' then remove_from_place(KEYS[1], id) end
if ARGV[3] == '1' then
  for _, dependent in ipairs(redis.call('SMEMBERS', dependents_key(id))) do
    if same_slot(dependent, id) then
      remove_from_place(job_key(dependent), dependent)
      delete(job_key(dependent), dependent)
    else
      elsewhere[#elsewhere + 1] = dependent
    end
  end
end
delete(KEYS[1], id)
if #elsewhere == 0 then return existed end
table.insert(elsewhere, 1, existed)
return elsewhere
