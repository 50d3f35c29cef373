--[[
  Cancels a job as RQ's job.cancel() does: out of its queue or the registry of its status, status
  canceled, into the canceled registry (score: server time). With enqueue_dependents, the jobs
  waiting on it are released as if it had finished (RQ's exclude_job_id); otherwise they wait,
  and a canceled dependency never releases them.

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  rq:queues
  ARGV[1]  the job id
  ARGV[2]  "1" to release the dependents
  ARGV[3]  the job key prefix "rq:job:"
  ARGV[4..10] the queue key prefix and registry key prefixes (see remove-from-place.lib.lua)
  The canceled registry's score and enqueued_at of released dependents are server time
  (server-time.lib.lua).
  Returns  1 when canceled; -1 when already canceled; -2 when the job does not exist
]]
local id = ARGV[1]
local places = places_from(4)
local status = redis.call('HGET', KEYS[1], 'status')
if not status and redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if status == 'canceled' then return -1 end
remove_from_place(KEYS[1], id, places)
local now = server_time()
local origin = redis.call('HGET', KEYS[1], 'origin')
redis.call('HSET', KEYS[1], 'status', 'canceled')
if origin then redis.call('ZADD', places.canceled .. origin, now.whole, id) end
if ARGV[2] == '1' then
  local prefixes = { job = ARGV[3], queue = places.queue, deferred = places.deferred, queues = KEYS[2] }
  release_dependents(id, 'canceled', id, prefixes, now.text)
end
return 1
