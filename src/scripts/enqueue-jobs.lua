--[[
  Enqueues a batch of jobs on one queue, leaving what RQ 1.13's enqueue transaction leaves for
  each (RQ-REFERENCE.md §2.7): the queue key in rq:queues, the job hash, the TTLs when the job has
  one, and the id pushed at the tail (or the head); or, for a scheduled job, the hash and its due
  time in the scheduled registry. One script instead of a MULTI: one command sent per batch.
  The same call sent again (a client that lost the reply resends it) writes nothing more: a job
  whose hash has this call's created_at is left as it is, its id not pushed twice.

  KEYS[1]  the queue list, rq:queue:<name>
  KEYS[2]  rq:queues
  KEYS[3]  the scheduled registry, rq:scheduled:<name>
  KEYS[4]  rq:groups, the set of group names (RQ 2.0)
  ARGV[1]  the jobs' group name, or "" for none: the ids join its set, rq:group:<name>
  ARGV[2]  the jobs, MessagePack (see pack.ts): an array with, for each job, an array
           { id, mode, due, ttl, field, value, field, value, ... } where mode is "tail", "front",
           "scheduled" (due: the time the caller chose, epoch seconds), "delayed" (due: seconds
           from now, server time), "limited" (a rate-limited job, its limit in its fields
           rate_limit_key and rate_limit_concurrency: it waits, then takes a free slot, see
           rate-limit.lib.lua) or "stored" (hash only); due is "" for the other modes, and
           ttl is in seconds or ""
  ARGV[3]  slack in seconds: a "scheduled" time further in the past than this is refused
  ARGV[4]  "" for one caller's call; else the sizes of several callers' calls, in order ("3,1,2":
           jobs 1-3, 4, 5-6), gathered into this one (coalesced-enqueues.ts): each is checked and
           written in turn exactly as if it came alone, a refused one writing nothing of its own
  A scheduled job's score is its due time in whole seconds, as RQ's enqueue_at scores it; "now"
  (for delays and the past check) is the server's clock (server-time.lib.lua), not the caller's.
  Returns  the number of jobs written, or { FAILURE.SCHEDULED_IN_PAST, i } when the due time of
           job i (from 1) is in the past, or { FAILURE.RATE_LIMIT_KEY_CHANGED, i, key } when job
           i's id waits or holds a slot under rate limit `key` and would be written under another
           limit or none (rate_limit_moved): nothing is written then. With ARGV[4], one answer per
           call: 0 when written, else its refusal (i counted within the call)
]]
local jobs = cmsgpack.unpack(ARGV[2])
local now
local now_time -- server_time(), read once a rate-limited job needs it
-- Field `name` of a job's fields (nil when absent).
local function field_of(job, name)
  for i = 5, #job, 2 do
    if job[i] == name then return job[i + 1] end
  end
end
-- The limit job `job` would leave if written now (its hash's rate_limit_key is `old`), or nil. Only
-- an id already under a limit needs the check, and the rate limit functions.
local function moved_from(job, old)
  return old and rate_limit().moved(job[1], old, field_of(job, 'rate_limit_key'))
end
local queue_added = false

-- Why the call of jobs[first..last] must be refused before anything of it is written (i counted
-- from first), or nil. A call of several jobs is checked whole here; a call of one (most enqueues)
-- is checked by write_job with the read that its write makes anyway.
local function refusal_of(first, last, several)
  for i = first, last do
    local job = jobs[i]
    local mode = job[2]
    if mode == 'scheduled' or mode == 'delayed' then
      now = now or server_time().seconds
      if mode == 'scheduled' and tonumber(job[3]) < now - tonumber(ARGV[3]) then return { FAILURE.SCHEDULED_IN_PAST, i - first + 1 } end
    end
    local moved = several and moved_from(job, redis.call('HGET', job_key(job[1]), 'rate_limit_key'))
    if moved then return { FAILURE.RATE_LIMIT_KEY_CHANGED, i - first + 1, moved } end
  end
end

-- Writes one job, unless it is there with this very call's created_at: a client that lost the
-- reply sends the same call again (ioredis does it by itself after a reconnect), and its id must
-- not be pushed twice; enqueueing an id again later (a new created_at) still works. A rate-limited
-- job's key joins `limits`. Returns the refusal of a lone job whose id is under another limit.
local function write_job(job, several, limits)
  local id, mode, due, ttl = job[1], job[2], job[3], job[4]
  local key = job_key(id)
  local created_at
  if several then
    created_at = redis.call('HGET', key, 'created_at')
  else
    local current = redis.call('HMGET', key, 'created_at', 'rate_limit_key')
    local moved = moved_from(job, current[2])
    if moved then return { FAILURE.RATE_LIMIT_KEY_CHANGED, 1, moved } end
    created_at = current[1]
  end
  if created_at and created_at == field_of(job, 'created_at') then return nil end
  redis.call('HSET', key, unpack(job, 5))
  if ttl ~= '' then
    redis.call('EXPIRE', key, ttl)
    redis.call('EXPIRE', dependents_key(id), ttl)
    redis.call('EXPIRE', dependencies_key(id), ttl)
  end
  if mode == 'tail' then
    redis.call('RPUSH', KEYS[1], id)
  elseif mode == 'front' then
    redis.call('LPUSH', KEYS[1], id)
  elseif mode == 'scheduled' then
    redis.call('ZADD', KEYS[3], math.floor(tonumber(due)), id)
  elseif mode == 'delayed' then
    redis.call('ZADD', KEYS[3], math.floor(now + tonumber(due)), id)
  elseif mode == 'limited' then
    local limit = field_of(job, 'rate_limit_key')
    now_time = now_time or server_time()
    rate_limit().park(limit, id, now_time)
    if not limits[limit] then
      limits[#limits + 1] = limit
      limits[limit] = true
    end
  end
end

-- Writes jobs[first..last], one caller's call, as if it came alone. Returns nil, or its refusal.
local function enqueue_call(first, last)
  local several = last > first
  local refusal = refusal_of(first, last, several)
  if refusal then return refusal end
  if not queue_added then
    add_queue(KEYS[2], KEYS[1])
    queue_added = true
  end
  -- On a cluster the group's sets are in slots of their own: the caller writes them.
  if ARGV[1] ~= '' and not CLUSTER and last >= first then
    local group = group_key(ARGV[1])
    for from = first, last, 1000 do
      local ids = {}
      for i = from, math.min(from + 999, last) do ids[#ids + 1] = jobs[i][1] end
      redis.call('SADD', group, unpack(ids))
    end
    redis.call('SADD', KEYS[4], ARGV[1])
  end
  local limits = {} -- the rate limit keys whose waiting jobs may now take a slot, in order
  for i = first, last do
    refusal = write_job(jobs[i], several, limits)
    if refusal then return refusal end
  end
  -- One admission path, as RQ's: the jobs wait first, then take the slots that are free, oldest first.
  for _, limit in ipairs(limits) do rate_limit().acquire(limit, now_time, now_time.text) end
  return nil
end

if ARGV[4] == '' then
  return enqueue_call(1, #jobs) or #jobs
end
-- Several callers' calls, each written in turn as if it came alone: one answer each.
local answers = {}
local first = 1
for size in string.gmatch(ARGV[4], '%d+') do
  local last = first + tonumber(size) - 1
  answers[#answers + 1] = enqueue_call(first, last) or 0
  first = last + 1
end
return answers
