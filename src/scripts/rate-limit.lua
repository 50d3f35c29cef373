--[[
  A rate limit's maintenance, one step at a time (rate-limit.lib.lua does the work):
  "release" gives job ARGV[3]'s slot back and admits the next waiting jobs, unless the job is
  queued or running (a slot left by a job that is no longer either; checked here, atomically);
  "admit" admits waiting jobs into free slots; "drop"
  deletes the limit (its config hash, its sets, its name in rq:rl-keys and rq:rl-due) when no job
  holds a slot or waits, as RQ's cleanup. "due" (ARGV[1] unused) admits the waiting jobs of the
  limits whose time has come in rq:rl-due (a window that has room again, a hold that is over),
  up to 100 limits a call.

  KEYS[1]  rq:rl:<key>:allowed; rq:rl-due for "due"
  ARGV[1]  the limit's key
  ARGV[2]  "release", "admit", "drop" or "due"
  ARGV[3]  for "release": the job id
  Returns  the ids pushed on their queues ("release", "admit"); 1 when dropped, else 0 ("drop");
           for "due", milliseconds until the next limit in rq:rl-due is due, or nil when none
]]
local key, op = ARGV[1], ARGV[2]
if op == 'drop' then
  if redis.call('ZCARD', rate_limit_allowed_key(key)) == 0 and redis.call('ZCARD', rate_limit_waiting_key(key)) == 0 then
    redis.call('SREM', RATE_LIMIT_KEYS, key)
    redis.call('ZREM', RATE_LIMIT_DUE, key)
    redis.call('DEL', rate_limit_key(key), rate_limit_allowed_key(key), rate_limit_waiting_key(key), rate_limit_window_key(key))
    return 1
  end
  return 0
end
local now = server_time()
if op == 'due' then
  return rate_limit().admit_due(now) or false
end
if op == 'release' then
  -- Read again here: the job may have been put back on its queue since the caller read it.
  local status = redis.call('HGET', job_key(ARGV[3]), 'status')
  if status == 'queued' or status == 'started' then return {} end
  return rate_limit().release(key, ARGV[3], now, now.text)
end
return rate_limit().acquire(key, now, now.text)
