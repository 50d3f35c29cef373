--[[
  A rate limit's maintenance, one step at a time (rate-limit.lib.lua does the work):
  "release" gives job ARGV[3]'s slot back and admits the next waiting jobs (a slot left by a job
  that is no longer queued or running); "admit" admits waiting jobs into free slots; "drop"
  deletes the limit (its config hash, both sets, its name in rq:rl-keys) when no job holds a slot
  or waits, as RQ's cleanup.

  KEYS[1]  rq:rl:<key>:allowed
  ARGV[1]  the limit's key
  ARGV[2]  "release", "admit" or "drop"
  ARGV[3]  for "release": the job id
  Returns  the ids pushed on their queues ("release", "admit"); 1 when dropped, else 0 ("drop")
]]
local key, op = ARGV[1], ARGV[2]
if op == 'drop' then
  if redis.call('ZCARD', rate_limit_allowed_key(key)) == 0 and redis.call('ZCARD', rate_limit_waiting_key(key)) == 0 then
    redis.call('SREM', RATE_LIMIT_KEYS, key)
    redis.call('DEL', rate_limit_key(key), rate_limit_allowed_key(key), rate_limit_waiting_key(key))
    return 1
  end
  return 0
end
local now = server_time()
if op == 'release' then return rate_limit_release(key, ARGV[3], now, now.text) end
return rate_limit_acquire(key, nil, now, now.text)
