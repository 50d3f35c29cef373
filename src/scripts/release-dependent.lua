--[[
  Releases one deferred job whose dependencies span slots of a Redis Cluster, in the job's own
  slot (release-dependents.lib.lua's release_if_met): after a parent in another slot ended, after
  the job was enqueued behind parents in other slots, and in maintenance's repair of deferred jobs
  that a worker killed between two steps left waiting. Idempotent: a job that is no longer
  deferred is left alone, so a release sent twice enqueues the job once.

  KEYS[1]  the job hash, rq:job:<id>
  KEYS[2]  rq:queues (on a cluster, the slot's memory guard: the caller lists the queue)
  KEYS[3]  the memory guard, never written: a full Redis refuses the script whole
  ARGV[1]  the job id
  ARGV[2]  the parent that ended, or "" for none
  ARGV[3]  that parent's status ("" for none)
  ARGV[4]  RQ's exclude_job_id (a canceled parent that releases as if finished), or ""
  ARGV[5..] dependency id, status pairs: the statuses of its dependencies in other slots, as the
           caller read them ("" for one that does not exist)
  enqueued_at of a released job is server time (server-time.lib.lua).
  Returns  "released", "gone", "waiting", or "elsewhere" when a dependency in another slot has no
           status in ARGV
]]
refuse_when_full(KEYS[3])
local known = {}
for i = 5, #ARGV, 2 do known[ARGV[i]] = ARGV[i + 1] end
return release_if_met(ARGV[1], ARGV[2], ARGV[3], ARGV[4], KEYS[2], server_time().text, known)
