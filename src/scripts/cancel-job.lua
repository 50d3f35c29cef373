--[[
  Cancels a job as RQ's job.cancel() does: out of its queue or the registry of its status, status
  canceled, into the canceled registry (score: server time). With enqueue_dependents, the jobs
  waiting on it are released as if it had finished (RQ's exclude_job_id); otherwise they wait,
  and a canceled dependency never releases them.

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  rq:queues
  ARGV[1]  the job id
  ARGV[2]  "1" to release the dependents
  The canceled registry's score and enqueued_at of released dependents are server time
  (server-time.lib.lua).
  Returns  1 when canceled (on a cluster { 1, id... } when dependents in other slots are left for
           the caller to release); FAILURE.ALREADY_CANCELED; FAILURE.NO_SUCH_JOB when the job does not exist
]]
local id = ARGV[1]
local status = redis.call('HGET', KEYS[1], 'status')
if not status and redis.call('EXISTS', KEYS[1]) == 0 then return FAILURE.NO_SUCH_JOB end
if status == 'canceled' then return FAILURE.ALREADY_CANCELED end
remove_from_place(KEYS[1], id)
local now = server_time()
local origin = redis.call('HGET', KEYS[1], 'origin')
redis.call('HSET', KEYS[1], 'status', 'canceled')
if origin then redis.call('ZADD', canceled_registry_key(origin), now.whole, id) end
if ARGV[2] == '1' then release_dependents(id, 'canceled', id, KEYS[2], now.text) end
if #RELEASE_ELSEWHERE == 0 then return 1 end
-- On a cluster, dependents whose release is in other slots: the caller releases them.
local elsewhere = { 1 }
for _, entry in ipairs(RELEASE_ELSEWHERE) do elsewhere[#elsewhere + 1] = entry[4] end
return elsewhere
