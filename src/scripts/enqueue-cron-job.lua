--[[
  Enqueues one run of a cron job, once per tick however many cron schedulers run the same
  registration: the cron job's history (RQ's `rq:cron_job:<name>:jobs`, job ids scored by the run's
  time in epoch seconds: its cron tick, or for an interval its enqueue time; newest kept) says when
  it last ran, and a run is written only when
  that is far enough back. The check and the enqueue are one script: two schedulers reaching the
  same tick write one job, and a scheduler that dies mid-way writes none or all of it.

  The job is written as RQ 1.13's enqueue writes it (RQ-REFERENCE.md §2.7): its hash, its TTL when
  it has one, its id at the tail of the queue, the queue in rq:queues.

  KEYS[1]  the queue list, rq:queue:<name>
  KEYS[2]  rq:queues
  KEYS[3]  the cron job's history, rq:cron_job:<name>:jobs
  ARGV[1]  the job id
  ARGV[2]  the run's time in epoch seconds (the cron tick, or for an interval the time of the pass:
           Redis server time, unless the scheduler was given a clock)
  ARGV[3]  the least gap in seconds since the latest run: a run is written only when the latest
           is at or before ARGV[2] - ARGV[3] (the interval; for a cron expression a tiny gap, so
           each tick runs once)
  ARGV[4]  the job's TTL in seconds, or ""
  ARGV[5]  history entries kept; ARGV[6] the history key's TTL in seconds
  ARGV[7..] the job hash, field value ...
  Returns  1 when the run was written; 0 when another scheduler wrote it (or a later one), with
           the latest run's time as second value
]]
local at = tonumber(ARGV[2])
local latest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if latest[2] and tonumber(latest[2]) > at - tonumber(ARGV[3]) then
  return { 0, latest[2] }
end
local id = ARGV[1]
local key = job_key(id)
redis.call('HSET', key, unpack(ARGV, 7))
if ARGV[4] ~= '' then redis.call('EXPIRE', key, ARGV[4]) end
add_queue(KEYS[2], KEYS[1])
redis.call('RPUSH', KEYS[1], id)
redis.call('ZADD', KEYS[3], ARGV[2], id)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[5]) + 1))
redis.call('EXPIRE', KEYS[3], ARGV[6])
return { 1, ARGV[2] }
