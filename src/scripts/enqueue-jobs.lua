--[[
  Enqueues a batch of jobs on one queue, leaving what RQ 1.13's enqueue transaction leaves for
  each (RQ-REFERENCE.md §2.7): the queue key in rq:queues, the job hash, the TTLs when the job has
  one, and the id pushed at the tail (or the head); or, for a scheduled job, the hash and its due
  time in the scheduled registry. One script instead of a MULTI: one command sent per batch.

  KEYS[1]  the queue list, rq:queue:<name>
  KEYS[2]  rq:queues
  KEYS[3]  the scheduled registry, rq:scheduled:<name>
  ARGV[1]  the job key prefix, "rq:job:"
  ARGV[2]  the number of jobs; then, for each job:
           id, mode ("tail", "front", "scheduled" with the due time next, or "stored": hash only),
           ttl in seconds or "", the number of hash values n, then n values (field, value, ...)
  Returns  the number of jobs written
]]
local prefix = ARGV[1]
local count = tonumber(ARGV[2])
local at = 3
redis.call('SADD', KEYS[2], KEYS[1])
for _ = 1, count do
  local id, mode = ARGV[at], ARGV[at + 1]
  at = at + 2
  local due
  if mode == 'scheduled' then
    due = ARGV[at]
    at = at + 1
  end
  local ttl = ARGV[at]
  local n = tonumber(ARGV[at + 1])
  at = at + 2
  local key = prefix .. id
  redis.call('HSET', key, unpack(ARGV, at, at + n - 1))
  at = at + n
  if ttl ~= '' then
    redis.call('EXPIRE', key, ttl)
    redis.call('EXPIRE', key .. ':dependents', ttl)
    redis.call('EXPIRE', prefix .. ':' .. id .. ':dependencies', ttl)
  end
  if mode == 'tail' then
    redis.call('RPUSH', KEYS[1], id)
  elseif mode == 'front' then
    redis.call('LPUSH', KEYS[1], id)
  elseif mode == 'scheduled' then
    redis.call('ZADD', KEYS[3], due, id)
  end
end
return count
