--[[
  Heartbeat of an idle worker slot: refreshes last_heartbeat (server time, server-time.lib.lua;
  and the state, when given) and the key's TTL, but only when the worker hash exists. A blind HSET
  after a Redis restart would create a partial worker hash that RQ's tools show as a ghost; the
  caller registers again instead.

  KEYS[1]  the worker hash, rq:worker:<name>
  ARGV[1]  the key TTL in seconds
  ARGV[2]  a new state, or "" to keep it
  Returns  1 when the hash exists, else 0
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
-- EXPIRE first: a full Redis refuses a script only at a first write that adds memory, and a
-- worker must stay visible even then (see memory-guard.lib.lua).
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], 'last_heartbeat', server_time().text)
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'state', ARGV[2]) end
return 1
