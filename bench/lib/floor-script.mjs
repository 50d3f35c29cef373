/**
 * The least Redis work RQ 1.13's layout lets a worker do for a job (bench/floor.mjs, and the
 * concurrency-1 floor of bench/parts.mjs): one Lua script that starts and finishes up to ARGV[2]
 * jobs of rq:queue:bench, doing only the writes RQ's layout needs (LPOP, HGETALL, HSET started,
 * PERSIST, started registry, worker hash, HSET finished, EXPIRE, finished registry), without fences,
 * dependents, retries or anything a real worker must check. KEYS[1] the queue, ARGV[1] a timestamp.
 */

/** Without the results stream (the XADD of a new stream per job, and its EXPIRE). */
export const FLOOR_SCRIPT = `
local now = ARGV[1]
local out = {}
for _ = 1, tonumber(ARGV[2]) do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  local job = 'rq:job:' .. id
  out[#out + 1] = redis.call('HGETALL', job)
  redis.call('HSET', job, 'status', 'started', 'started_at', now, 'worker_name', 'w', 'last_heartbeat', now)
  redis.call('PERSIST', job)
  redis.call('ZADD', 'rq:wip:bench', 1e10, id)
  redis.call('HSET', 'rq:worker:w', 'state', 'busy', 'current_job', id, 'last_heartbeat', now)
  redis.call('HSET', job, 'status', 'finished', 'ended_at', now)
  --results redis.call('XADD', 'rq:results:' .. id, 'MAXLEN', '~', '10', '*', 'type', '1', 'return_value', 'Tg==')
  --results redis.call('EXPIRE', 'rq:results:' .. id, 500)
  redis.call('EXPIRE', job, 500)
  redis.call('ZREM', 'rq:wip:bench', id)
  redis.call('ZADD', 'rq:finished:bench', 1e10, id)
end
return cmsgpack.pack(out)`;

/** With the results stream, which RQ 1.12+ writes and Python's `job.return_value()` reads. */
export const FLOOR_SCRIPT_WITH_RESULTS = FLOOR_SCRIPT.replaceAll('--results ', '');
