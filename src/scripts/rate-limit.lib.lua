--[[
  Library, prepended to the scripts that enqueue, end, sweep, schedule, cancel or delete jobs (not
  a script on its own): RQ master's RateLimit (rate-limit.ts), in RQ's layout, with rq-ts' rates
  over time beside it. A limited job holds `rate_limit_key` (and RQ's `rate_limit_concurrency`,
  rq-ts' `rate_limit_max` and `rate_limit_duration` as it was enqueued with them) in its hash. It
  waits, status rate_limited, on no queue, in rq:rl:<key>:rate_limited (scored by server time with
  its fraction, so that waiting jobs go oldest first), until the limit admits it; then it holds a
  slot, in rq:rl:<key>:allowed (scored by whole seconds, as RQ), while it is queued or running.
  Every admission goes through park then acquire, as in RQ, so nothing jumps
  ahead of a waiting job.

  The limit's config, rq:rl:<key>, is what the last job parked said (RQ writes `concurrency` at
  each enqueue): `concurrency` (no bound when absent), `max` jobs admitted per `duration`
  milliseconds (no rate when absent), and `held_until`, epoch milliseconds before which nothing is
  admitted (a job said the remote side wants a pause: hold). A rate counts admissions
  in rq:rl:<key>:window (scored by epoch milliseconds, entries older than `duration` dropped). A
  limit that admits nothing for want of time, while jobs wait, is in rq:rl-due, scored by when it
  can admit again; every worker admits those when their time comes (rate-limit.lua's "due").

  Its functions are built on a script's first use of them (rate_limit()), not at every call of
  every script that includes the library: most calls touch no limit.

  rate_limit().park(key, id, now): the job waits (status rate_limited, its entry in the waiting set);
    the key's config from the job's fields, and the key in rq:rl-keys.
  rate_limit().acquire(key, now, enqueued_at): while the limit allows, the oldest waiting job takes
    a slot and goes on its queue (at the head with enqueue_at_front=1), status queued; stale
    entries (no hash, no origin, another status) are dropped. Returns the ids it pushed.
  rate_limit().release(key, id, now, enqueued_at): the job gives its slot back, and the next waits
    no longer (RQ's release_and_enqueue).
  rate_limit().forget(key, id, now, enqueued_at): the job leaves both sets (cancel, delete); a slot it
    held goes to the next.
  rate_limit().hold(key, id, ms, now): the running job gives its slot back and waits again, first in
    line; the key admits nothing for `ms` milliseconds.
  rate_limit().admit_due(now): admits the waiting jobs of the limits in rq:rl-due whose time has
    come (up to 100 limits); returns the milliseconds until the next is due, or nil when none.
  rate_limit().moved(id, old, new): the key a job would leave by being written again with limit
    `new` ("" or nil for none) while it waits or holds a slot under `old` (its hash's
    rate_limit_key), else nil: such a job must leave its limit first (cancel, delete), else both
    limits would count it.
  `now` is server_time(); enqueued_at the RQ timestamp text written in promoted jobs.
]]
local rate_limit_functions
local function rate_limit()
  if rate_limit_functions then return rate_limit_functions end
  local L = {}
  function L.moved(id, old, new)
    if not old or old == '' or old == (new or '') then return nil end
    if redis.call('ZSCORE', rate_limit_waiting_key(old), id) or redis.call('ZSCORE', rate_limit_allowed_key(old), id) then return old end
    return nil
  end

  function L.ms(now)
    return math.floor(now.seconds * 1000)
  end

  function L.park(key, id, now)
    local job = job_key(id)
    local own = redis.call('HMGET', job, 'rate_limit_concurrency', 'rate_limit_max', 'rate_limit_duration')
    redis.call('HSET', job, 'status', 'rate_limited')
    -- Oldest first, also for jobs parked in the same microsecond (a batch): never before the last.
    local waiting = rate_limit_waiting_key(key)
    local last = tonumber(redis.call('ZRANGE', waiting, -1, -1, 'WITHSCORES')[2])
    redis.call('ZADD', waiting, (last and last >= now.seconds) and last + 0.000001 or now.seconds, id)
    local config = rate_limit_key(key)
    for i, field in ipairs({ 'concurrency', 'max', 'duration' }) do
      if own[i] and own[i] ~= '' then redis.call('HSET', config, field, own[i]) else redis.call('HDEL', config, field) end
    end
    redis.call('SADD', RATE_LIMIT_KEYS, key)
  end

  -- The epoch milliseconds before which the limit admits nothing more (a hold, or a full window),
  -- or nil when only slots stop it; `count` is the window's size after dropping old admissions.
  function L.wait_until(key, config, ms)
    local held = tonumber(config[4])
    if held and held > ms then return held, 0 end
    local max, duration = tonumber(config[2]), tonumber(config[3])
    if not max then return nil, 0 end
    local window = rate_limit_window_key(key)
    redis.call('ZREMRANGEBYSCORE', window, '-inf', ms - duration)
    local count = redis.call('ZCARD', window)
    if count < max then return nil, count end
    return tonumber(redis.call('ZRANGE', window, 0, 0, 'WITHSCORES')[2]) + duration, count
  end

  function L.acquire(key, now, enqueued_at)
    local config = redis.call('HMGET', rate_limit_key(key), 'concurrency', 'max', 'duration', 'held_until')
    local limit, max = tonumber(config[1]), tonumber(config[2])
    local ms = L.ms(now)
    local allowed, waiting, window = rate_limit_allowed_key(key), rate_limit_waiting_key(key), rate_limit_window_key(key)
    local pushed = {}
    local until_ms, count = L.wait_until(key, config, ms)
    while not until_ms and (not limit or redis.call('ZCARD', allowed) < limit) do
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
        if max then
          redis.call('ZADD', window, ms, ms .. ':' .. id)
          redis.call('PEXPIRE', window, tonumber(config[3]))
          count = count + 1
          if count >= max then until_ms = L.wait_until(key, config, ms) end
        end
      end
    end
    if until_ms and redis.call('ZCARD', waiting) > 0 then
      redis.call('ZADD', RATE_LIMIT_DUE, until_ms, key)
    else
      redis.call('ZREM', RATE_LIMIT_DUE, key)
    end
    return pushed
  end

  function L.release(key, id, now, enqueued_at)
    redis.call('ZREM', rate_limit_allowed_key(key), id)
    return L.acquire(key, now, enqueued_at)
  end

  function L.forget(key, id, now, enqueued_at)
    redis.call('ZREM', rate_limit_waiting_key(key), id)
    if redis.call('ZREM', rate_limit_allowed_key(key), id) == 1 then return L.acquire(key, now, enqueued_at) end
    return {}
  end

  function L.hold(key, id, ms, now)
    local config = rate_limit_key(key)
    local until_ms = L.ms(now) + ms
    if until_ms > (tonumber(redis.call('HGET', config, 'held_until')) or 0) then redis.call('HSET', config, 'held_until', until_ms) end
    redis.call('ZREM', rate_limit_allowed_key(key), id)
    local waiting = rate_limit_waiting_key(key)
    local first = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
    redis.call('ZADD', waiting, math.min(tonumber(first[2]) or now.seconds, now.seconds) - 0.000001, id)
    redis.call('HSET', job_key(id), 'status', 'rate_limited')
    redis.call('SADD', RATE_LIMIT_KEYS, key)
    redis.call('ZADD', RATE_LIMIT_DUE, until_ms, key)
  end
  function L.admit_due(now)
    local ms = L.ms(now)
    for _, due in ipairs(redis.call('ZRANGEBYSCORE', RATE_LIMIT_DUE, '-inf', ms, 'LIMIT', 0, 100)) do
      redis.call('ZREM', RATE_LIMIT_DUE, due)
      L.acquire(due, now, now.text)
    end
    local first = redis.call('ZRANGE', RATE_LIMIT_DUE, 0, 0, 'WITHSCORES')
    if #first == 0 then return nil end
    return math.max(tonumber(first[2]) - ms, 0)
  end

  rate_limit_functions = L
  return L
end
