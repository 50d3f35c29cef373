--[[
  Enqueues a job that needs a check first: a unique job (refused when its id exists, as RQ 2.8's
  unique=True), or a job with dependencies, as RQ 1.13's enqueue with depends_on (its WATCH/MULTI
  made one script): when every parent is finished (or failed, with allow_dependency_failures),
  the job is enqueued at once; else it is deferred: status deferred, in the deferred registry of
  its queue (score: server time), in each parent's dependents set, and its parents in its own
  dependencies set (`rq:job::<id>:dependencies`, RQ's double colon).

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  its queue list, rq:queue:<queue>
  KEYS[3]  its deferred registry, rq:deferred:<queue>
  KEYS[4]  rq:queues
  KEYS[5]  its dependencies set, rq:job::<id>:dependencies
  KEYS[6]  its dependents set, rq:job:<id>:dependents
  KEYS[7]  the memory guard, never written (keys.ts' MEMORY_GUARD_KEY): a full Redis refuses the
           script whole (memory-guard.lib.lua), where its first write, a DEL, would let it run
  ARGV[1]  the job id
  ARGV[2]  "1" to push at the head when enqueued at once
  ARGV[3]  "1" when a failed parent counts as done (allow_dependency_failures)
  ARGV[4]  the job's ttl in seconds, or ""
  ARGV[5]  now, as RQ timestamp text (enqueued_at)
  ARGV[6]  "1" for a unique job
  ARGV[7]  n, the number of parents; ARGV[8 .. 7+n] their ids
  ARGV[8+n ..] the job hash, as field, value pairs
  Returns  { 1 } enqueued, { 0 } deferred, { 2 } rate_limited (its dependencies done, it waits
           for a slot of its limit: rate-limit.lib.lua), { FAILURE.NO_SUCH_DEPENDENCY, id } a parent does not
           exist, { FAILURE.DEPENDENCY_CYCLE, id } the job would depend on itself through parent
           `id`, { FAILURE.DUPLICATE_JOB } a unique job whose id exists,
           { FAILURE.RATE_LIMIT_KEY_CHANGED, key } the id waits or holds a slot under rate limit
           `key` and would be written under another limit or none (rate_limit_moved)
  On a cluster, parents in other slots (another tag: the prelude's same_slot) are neither read
  nor written here: the caller checks them first and adds the job to their dependents sets after,
  and the job is always deferred.
]]
local id = ARGV[1]
if ARGV[6] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return { FAILURE.DUPLICATE_JOB } end
local new_limit
for i = 8 + tonumber(ARGV[7]), #ARGV, 2 do
  if ARGV[i] == 'rate_limit_key' then new_limit = ARGV[i + 1] end
end
local old_limit = redis.call('HGET', KEYS[1], 'rate_limit_key')
local moved = old_limit and rate_limit().moved(id, old_limit, new_limit)
if moved then return { FAILURE.RATE_LIMIT_KEY_CHANGED, moved } end
local n = tonumber(ARGV[7])
local parents = {}
for i = 1, n do parents[i] = ARGV[7 + i] end

for _, parent in ipairs(parents) do
  if parent == id then return { FAILURE.DEPENDENCY_CYCLE, parent } end
end
-- On a cluster a parent in another slot is checked, and told of its dependent, by the caller
-- (enqueue-jobs.ts); the job is then deferred, and released by release-dependent.lua.
local elsewhere = false
for _, parent in ipairs(parents) do
  if not same_slot(parent, id) then
    elsewhere = true
  elseif redis.call('EXISTS', job_key(parent)) == 0 then
    return { FAILURE.NO_SUCH_DEPENDENCY, parent }
  end
end

-- A cycle: the job is an ancestor of one of its parents (possible when a job id is reused).
local seen, frontier = {}, {}
for _, parent in ipairs(parents) do frontier[#frontier + 1] = parent end
local visits = 0
while #frontier > 0 and visits < 100000 do
  local current = table.remove(frontier)
  if not seen[current] and same_slot(current, id) then
    seen[current] = true
    visits = visits + 1
    for _, ancestor in ipairs(redis.call('SMEMBERS', dependencies_key(current))) do
      if ancestor == id then return { FAILURE.DEPENDENCY_CYCLE, current } end
      frontier[#frontier + 1] = ancestor
    end
  end
end

local met = not elsewhere
for _, parent in ipairs(parents) do
  if same_slot(parent, id) then
    local status = redis.call('HGET', job_key(parent), 'status')
    if status ~= 'finished' and not (ARGV[3] == '1' and status == 'failed') then met = false end
  end
end

local fields = {}
for i = 8 + n, #ARGV do fields[#fields + 1] = ARGV[i] end
refuse_when_full(KEYS[7])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(fields))
local result
local limit = redis.call('HMGET', KEYS[1], 'rate_limit_key')
if met and limit[1] then
  -- A rate-limited job whose dependencies are done: admitted as at enqueue (rate-limit.lib.lua).
  local now = server_time()
  add_queue(KEYS[4], KEYS[2])
  rate_limit().park(limit[1], id, now)
  rate_limit().acquire(limit[1], now, now.text)
  result = redis.call('HGET', KEYS[1], 'status') == 'queued' and 1 or 2
elseif met then
  redis.call('HSET', KEYS[1], 'status', 'queued', 'enqueued_at', ARGV[5])
  add_queue(KEYS[4], KEYS[2])
  if ARGV[2] == '1' then redis.call('LPUSH', KEYS[2], id) else redis.call('RPUSH', KEYS[2], id) end
  result = 1
else
  redis.call('HSET', KEYS[1], 'status', 'deferred')
  redis.call('ZADD', KEYS[3], redis.call('TIME')[1], id)
  for _, parent in ipairs(parents) do
    if same_slot(parent, id) then redis.call('SADD', dependents_key(parent), id) end
    redis.call('SADD', KEYS[5], parent)
  end
  result = 0
end
if ARGV[4] ~= '' then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[5], ARGV[4])
  redis.call('EXPIRE', KEYS[6], ARGV[4])
end
return { result }
