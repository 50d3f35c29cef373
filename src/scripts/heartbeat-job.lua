--[[
  Keeps a running job alive: pushes its started-registry score forward (server time), and
  refreshes its last_heartbeat and the worker key. HSET only when the job hash exists, so a
  heartbeat after a Redis restart or a delete never recreates a partial job (RQ issue #1450).

  KEYS[1]  the job hash      KEYS[2]  the started registry      KEYS[3]  the worker hash
  ARGV[1]  the job id        ARGV[2]  now, RQ timestamp text     ARGV[3]  heartbeat TTL (s)
  ARGV[4]  worker key TTL (s)     ARGV[5]  seconds the job has run
  Returns  1, or 0 when the job hash is gone
]]
local score = tonumber(redis.call('TIME')[1]) + tonumber(ARGV[3])
-- EXPIRE first (of a key that may not exist: then it does nothing): a full Redis refuses a script
-- only at a first write that adds memory, and a running job must keep its heartbeat even then,
-- or other workers would take it for abandoned and run it again (see memory-guard.lib.lua).
redis.call('EXPIRE', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[2], 'XX', score, ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[3], 'last_heartbeat', ARGV[2], 'current_job_working_time', ARGV[5])
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[2])
return 1
