--[[
  Empties a queue: pops every job id and deletes the job's hash and its dependents set, as RQ's
  Queue.empty() does. Registries are left alone (RQ does the same).

  KEYS[1]  the queue list, rq:queue:<name>
  Returns  the number of job ids removed.
]]
local count = 0
while true do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  redis.call('DEL', job_key(id), dependents_key(id))
  count = count + 1
end
return count
