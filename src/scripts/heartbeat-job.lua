--[[
  Keeps a running job alive: pushes its started-registry score forward, and refreshes its
  last_heartbeat and the worker key, all in server time (server-time.lib.lua). HSET only when the
  job hash exists, so a heartbeat after a Redis restart or a delete never recreates a partial job
  (RQ issue #1450).

  KEYS[1]  the job hash      KEYS[2]  the started registry      KEYS[3]  the worker hash
  ARGV[1]  the job id        ARGV[2]  heartbeat TTL (s)         ARGV[3]  worker key TTL (s)
  ARGV[4]  seconds the job has run
  Returns  1, or 0 when the job hash is gone
]]
local now = server_time()
-- EXPIRE first (of a key that may not exist: then it does nothing): a full Redis refuses a script
-- only at a first write that adds memory, and a running job must keep its heartbeat even then,
-- or other workers would take it for abandoned and run it again (see memory-guard.lib.lua).
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[2], 'XX', now.whole + tonumber(ARGV[2]), ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[3], 'last_heartbeat', now.text, 'current_job_working_time', ARGV[4])
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_heartbeat', now.text)
return 1
