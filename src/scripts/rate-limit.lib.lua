--[[
  Library, prepended to the scripts that enqueue, end, sweep, schedule, cancel or delete jobs (not
  a script on its own): RQ master's RateLimit (rate-limit.ts), in RQ's layout. A limited job holds
  `rate_limit_key` and `rate_limit_concurrency` in its hash. It waits, status rate_limited, on no
  queue, in rq:rl:<key>:rate_limited (scored by server time with its fraction, so that waiting
  jobs go oldest first), until a slot is free; then it holds one, in rq:rl:<key>:allowed (scored
  by whole seconds, as RQ), while it is queued or running. Every admission goes through
  rate_limit_park then rate_limit_acquire, as in RQ, so nothing jumps ahead of a waiting job.

  rate_limit_park(key, concurrency, id, now): the job waits (status rate_limited, its entry in
    the waiting set); the key's concurrency (rq:rl:<key>, the last writer wins as in RQ) and the key
    in rq:rl-keys.
  rate_limit_acquire(key, concurrency, now, enqueued_at): while fewer than `concurrency` hold a
    slot, the oldest waiting job takes one and goes on its queue (at the head with
    enqueue_at_front=1), status queued; stale entries (no hash, no origin, another status) are
    dropped. `concurrency` nil reads the key's stored one. Returns the ids it pushed.
  rate_limit_release(key, id, now, enqueued_at): the job gives its slot back, and the next waits
    no longer (RQ's release_and_enqueue).
  rate_limit_forget(key, id, now, enqueued_at): the job leaves both sets (cancel, delete); a slot it
    held goes to the next.
  `now` is server_time(); enqueued_at the RQ timestamp text written in promoted jobs.
]]
local function rate_limit_park(key, concurrency, id, now)
  redis.call('HSET', job_key(id), 'status', 'rate_limited')
  redis.call('ZADD', rate_limit_waiting_key(key), now.seconds, id)
  redis.call('HSET', rate_limit_key(key), 'concurrency', concurrency)
  redis.call('SADD', RATE_LIMIT_KEYS, key)
end

local function rate_limit_acquire(key, concurrency, now, enqueued_at)
  local limit = tonumber(concurrency or redis.call('HGET', rate_limit_key(key), 'concurrency')) or 0
  local allowed, waiting = rate_limit_allowed_key(key), rate_limit_waiting_key(key)
  local pushed = {}
  while redis.call('ZCARD', allowed) < limit do
    local popped = redis.call('ZPOPMIN', waiting)
    if #popped == 0 then break end
    local id = popped[1]
    local job = job_key(id)
    local fields = redis.call('HMGET', job, 'origin', 'status', 'enqueue_at_front')
    if fields[1] and fields[2] == 'rate_limited' then
      redis.call('ZADD', allowed, now.whole, id)
      local queue = queue_key(fields[1])
      if fields[3] == '1' then redis.call('LPUSH', queue, id) else redis.call('RPUSH', queue, id) end
      redis.call('HSET', job, 'status', 'queued', 'enqueued_at', enqueued_at)
      pushed[#pushed + 1] = id
    end
  end
  return pushed
end

local function rate_limit_release(key, id, now, enqueued_at)
  redis.call('ZREM', rate_limit_allowed_key(key), id)
  return rate_limit_acquire(key, nil, now, enqueued_at)
end

local function rate_limit_forget(key, id, now, enqueued_at)
  redis.call('ZREM', rate_limit_waiting_key(key), id)
  if redis.call('ZREM', rate_limit_allowed_key(key), id) == 1 then return rate_limit_acquire(key, nil, now, enqueued_at) end
  return {}
end
