--[[
  Heartbeat of an idle worker slot: refreshes last_heartbeat (server time, server-time.lib.lua;
  and the state, when given) and the key's TTL, but only when the worker hash exists. A blind HSET
  after a Redis restart would create a partial worker hash that RQ's tools show as a ghost; the
  caller registers again instead.

  Also the worker hash's writes that a step makes on a plain Redis, on a cluster, where the
  worker hash is in a slot of its own (see finish-and-start-jobs.ts).

  KEYS[1]  the worker hash, rq:worker:<name>
  ARGV[1]  the key TTL in seconds, or "" to keep it
  ARGV[2]  a new state, or "" to keep it
  ARGV[3]  "" always; else a job id: write only while the worker's current_job is that job
  ARGV[4]  "1" to clear the current job (current_job, current_job_working_time)
  ARGV[5..] more field, value pairs to set
  Returns  1 when the hash exists (and ARGV[3] holds), else 0
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'current_job') ~= ARGV[3] then return 0 end
if ARGV[1] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if ARGV[4] == '1' then redis.call('HDEL', KEYS[1], 'current_job', 'current_job_working_time') end
redis.call('HSET', KEYS[1], 'last_heartbeat', server_time().text, unpack(ARGV, 5))
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'state', ARGV[2]) end
return 1
