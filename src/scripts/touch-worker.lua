--[[
  Heartbeat of idle worker slots: refreshes last_heartbeat (server time, server-time.lib.lua;
  and the state, when given) and the key's TTL, but only when the worker hash exists. A blind HSET
  after a Redis restart would create a partial worker hash that RQ's tools show as a ghost; the
  caller registers again instead.

  Also the worker hashes' writes that a step makes on a plain Redis, on a cluster, where worker
  hashes are in slots of their own (see step.ts): one call for all the slots of one worker, whose
  names share its tag there (keys.ts' workerNameFor).

  KEYS[1..n]  worker hashes, rq:worker:<name>
  ARGV[1]     MessagePack (pack.ts) of an array with, for KEYS[i], an array
              { ttl, state, if_current_job, clear, field, value, ... }:
              ttl     the key TTL in seconds, or "" to keep it
              state   a new state, or "" to keep it
              if_current_job  "" always; else a job id: write only while current_job is that job
              clear   "1" to clear the current job (current_job, current_job_working_time)
              then more field, value pairs to set
  Returns  for each key, 1 when the hash exists (and if_current_job holds) and was written, else 0
]]
local writes = cmsgpack.unpack(ARGV[1])
local now = server_time().text
local written = {}
for i, key in ipairs(KEYS) do
  local w = writes[i]
  written[i] = 0
  if redis.call('EXISTS', key) == 1 and (w[3] == '' or redis.call('HGET', key, 'current_job') == w[3]) then
    if w[1] ~= '' then redis.call('EXPIRE', key, w[1]) end
    if w[4] == '1' then redis.call('HDEL', key, 'current_job', 'current_job_working_time') end
    redis.call('HSET', key, 'last_heartbeat', now, unpack(w, 5))
    if w[2] ~= '' then redis.call('HSET', key, 'state', w[2]) end
    written[i] = 1
  end
end
return written
