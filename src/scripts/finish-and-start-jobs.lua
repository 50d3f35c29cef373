--[[
  A worker's step in Redis, in one script call: ends the executions that just ran
  (finish-job.lib.lua), then starts the next jobs for the worker slots that are free
  (start-jobs.lib.lua). Registry entries are written one command per registry
  (sorted-set-batch.lib.lua). Either list may be empty: a worker starting up sends no endings, a worker
  stopping asks for no jobs, and a queue with isAsync false ends its one job. One call carries
  every ending and start of a worker's tick: at concurrency N, one round trip per batch of jobs,
  and at concurrency 1 one round trip per job, ending one job and starting the next.
  No job starts while rq:suspended exists (RQ's `rq suspend`). A Redis out of memory refuses the
  step whole (memory-guard.lib.lua): no ending recorded, no job started; the worker keeps its
  endings and sends them again.

  KEYS[1]   rq:queues
  KEYS[2]   rq:suspended
  KEYS[3]   the memory guard, never written (keys.ts' MEMORY_GUARD_KEY)
  KEYS[4..] the queue lists to start jobs from, rq:queue:<name>, highest priority first
  ARGV[1]   the step, MessagePack (one argument: each costs the client and the server more than
            its bytes), an array of:
            1 the endings: an array of endings as finish-job.lib.lua describes them
            2 "1" when the worker's default exception handler is disabled
            3 the worker key TTL in seconds once idle
            4 the worker slots to start jobs for: an array of worker names
            5 heartbeat TTL in seconds: a started job is scored server time + this in the started
              registry, and the worker key lives this long while busy
            6 index (from 1) of the queue among KEYS[4..] to try first
            7 "1" for round robin: each further job is looked for from the queue after the one
              that gave the last job, as RQ's round_robin strategy
  Every time the step writes (scores, ended_at, started_at, last_heartbeat) is the server's, read
  once (server-time.lib.lua): workers whose clocks disagree still write comparable times.
  Returns   MessagePack of { statuses, suspended, started, again, now, elsewhere }: statuses[i] is what became of
            ending i (see finish-job.lib.lua), again[i] the status a retried or repeated job now
            has ("queued" or "scheduled"; "" for the others); suspended is 1 when rq:suspended exists (no job started), else 0;
            started holds { slot index (from 1, into the slots), queue index (into KEYS[4..]),
            job id, job hash as HGETALL before the start } for each job started, in slot order,
            stopping at the first slot for which every queue was empty; now is the step's time as
            RQ timestamp text: the started_at (and last_heartbeat) it wrote in the jobs it started;
            elsewhere (on a cluster only) the dependents to release in other slots, each
            { parent, parent status, exclude, id } (release-dependents.lib.lua)
]]
refuse_when_full(KEYS[3])
local step = cmsgpack.unpack(ARGV[1])
local time = server_time()
local now, now_text = time.whole, time.text
local batch = sorted_set_batch()

-- Worker hashes of slots whose job ended, with the fields that count it: idle at the end,
-- unless they start another job.
local counts = {}
local statuses = {}
local again = {}
local tally = {}
-- Keys whose mere existence changes the step: rq:suspended, queues whose events stream a listener
-- keeps alive (QueueEvents), and rq:rl-due (a limit waits for time, admitted below). One EXISTS
-- of them all answers 0 while Redis has none, as most of the time; else each is read.
local listened = {}
local watched = CLUSTER and { KEYS[2] } or { KEYS[2], RATE_LIMIT_DUE }
for _, ending in ipairs(step[1]) do
  local queue = ending[ENDING.queue]
  if listened[queue] == nil then
    listened[queue] = false
    watched[#watched + 1] = queue_events_key(queue)
  end
end
local any_watched = redis.call('EXISTS', unpack(watched)) > 0
if any_watched then
  for queue in pairs(listened) do listened[queue] = redis.call('EXISTS', queue_events_key(queue)) == 1 end
end
for i, ending in ipairs(step[1]) do
  local status, worker_key, fields, status_again = finish_job(ending, now, now_text, KEYS[1], step[2] == '1', batch)
  statuses[i] = status
  again[i] = status_again or ''
  if worker_key then counts[worker_key] = fields end
  local queue_of_ending = ending[ENDING.queue]
  if listened[queue_of_ending] and status ~= 'fenced' then
    redis.call('XADD', queue_events_key(queue_of_ending), 'MAXLEN', '~', QUEUE_EVENTS_MAXLEN, '*', 'event', status, 'job_id', ending[ENDING.id])
  end
  local kind = (status == 'finished' or status == 'repeated') and 'finished' or ((status == 'failed' or status == 'stopped') and 'failed' or nil)
  if kind then
    local queue = ending[ENDING.queue]
    local per_queue = tally[queue] or {}
    per_queue[kind] = (per_queue[kind] or 0) + 1
    tally[queue] = per_queue
  end
end
-- Jobs ended per queue and minute, for the dashboard's chart (rq-ts' own keys; RQ writes none):
-- rq:throughput:<queue>:<hour start>, fields "<minute>:finished" and "<minute>:failed", each hash
-- kept 25 hours, so the space is bounded. One HINCRBY per queue and outcome per step.
if next(tally) then
  local hour = now - now % 3600
  local minute = math.floor((now % 3600) / 60)
  for queue, kinds in pairs(tally) do
    local key = throughput_key(queue, hour)
    for kind, n in pairs(kinds) do
      if redis.call('HINCRBY', key, minute .. ':' .. kind, n) == n then redis.call('EXPIRE', key, THROUGHPUT_TTL) end
    end
  end
end
-- Before any start: a job retried at once may be started again by this very step.
batch.flush()

local function finish(suspended, started)
  for worker_key, fields in pairs(counts) do set_worker_idle(worker_key, now_text, step[3], fields) end
  -- One bulk string instead of a nested reply: see unpack in pack.ts.
  return cmsgpack.pack({ statuses, suspended, started, again, now_text, RELEASE_ELSEWHERE })
end

local slots = step[4]
if #slots == 0 then return finish(0, {}) end
if any_watched and redis.call('EXISTS', KEYS[2]) == 1 then return finish(1, {}) end

-- Limits whose waiting jobs wait for time (rq:rl-due) are admitted here while workers step, so that
-- a busy worker's own timer need not send a command of its own (due-rate-limits.ts): admitted
-- jobs go on their queues before this step takes jobs. Read with the events streams above.
if not CLUSTER and any_watched and redis.call('EXISTS', RATE_LIMIT_DUE) == 1 then rate_limit().admit_due(time) end

local queue_keys = {}
for i = 4, #KEYS do queue_keys[#queue_keys + 1] = KEYS[i] end
local started = start_jobs(slots, queue_keys, tonumber(step[6]), step[7] == '1', now_text, now + tonumber(step[5]), step[5], batch, counts)
return finish(0, started)
