--[[
  Handles the abandoned jobs of a started registry (entries whose heartbeat score has expired),
  as RQ 1.13's StartedJobRegistry.cleanup(): a job with retries left is retried (scheduled after
  its retry interval, or enqueued at once when the interval is 0: see retry-job.lib.lua); with
  ARGV[4] > 0, a job abandoned fewer times than that is put back on its queue; any other job is
  failed:
  status failed, exc_info set, the key kept for its failure_ttl, and added to the failed registry.

  KEYS[1]  the started registry, rq:wip:<queue>
  KEYS[2]  the failed registry, rq:failed:<queue>
  KEYS[3]  the scheduled registry, rq:scheduled:<queue>
  KEYS[4]  the queue list, rq:queue:<queue>
  KEYS[5]  rq:queues
  ARGV[1]  cutoff score: entries at or below it are abandoned (epoch seconds; "" for server time)
  ARGV[2]  exc_info for failed jobs (zlib-compressed text, as RQ stores it)
  ARGV[3]  default failure TTL in seconds
  ARGV[4]  how many times an abandoned job without retries is put back on its queue before it
           fails (its count is kept in the job's `abandoned_count` field); 0 is RQ's behaviour
  Scores and enqueued_at are server time (server-time.lib.lua).
  Returns  { ids failed, ids retried, ids requeued }; with a QueueEvents listener, their events
  (`abandoned`, then `failed` or `retried`) are in the queue's events stream.
]]
local time = server_time()
local now = time.whole
local cutoff = ARGV[1] ~= '' and tonumber(ARGV[1]) or now
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, cutoff)
local max_requeues = tonumber(ARGV[4]) or 0
local failed, retried, requeued = {}, {}, {}
for _, id in ipairs(ids) do
  local job = job_key(id)
  if redis.call('EXISTS', job) == 1 then
    local limit = redis.call('HGET', job, 'rate_limit_key')
    local again = retry_job(job, id, KEYS[4], KEYS[3], KEYS[5], now, time.text)
    local requeue = not again and (tonumber(redis.call('HGET', job, 'abandoned_count') or '0') or 0) < max_requeues
    -- A rate limit's slot is given back, but by a job back on its queue at once (as in RQ).
    if limit and limit ~= '' and again ~= 'queued' and not requeue then rate_limit().release(limit, id, time, time.text) end
    if again then
      table.insert(retried, id)
    elseif requeue then
      redis.call('HINCRBY', job, 'abandoned_count', 1)
      redis.call('HSET', job, 'status', 'queued', 'enqueued_at', time.text)
      add_queue(KEYS[5], KEYS[4])
      redis.call('RPUSH', KEYS[4], id)
      table.insert(requeued, id)
    else
      local ttl = tonumber(redis.call('HGET', job, 'failure_ttl') or '') or tonumber(ARGV[3])
      redis.call('HSET', job, 'status', 'failed', 'exc_info', ARGV[2])
      if ttl < 0 then
        redis.call('PERSIST', job)
        redis.call('ZADD', KEYS[2], ttl, id) -- RQ's FailedJobRegistry.add scores a negative TTL as itself
      else
        redis.call('EXPIRE', job, ttl)
        redis.call('ZADD', KEYS[2], now + ttl, id)
      end
      table.insert(failed, id)
    end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, cutoff)
-- While a listener keeps the queue's events stream alive (QueueEvents): an `abandoned` event for
-- each, and for a failed one `failed` too (what waitUntilFinished waits for), for a retried one `retried`.
local events = queue_events_key(queue_name(KEYS[4]))
if #ids > 0 and redis.call('EXISTS', events) == 1 then
  for _, outcome in ipairs({ { 'failed', failed }, { 'retried', retried }, { 'requeued', requeued } }) do
    local kind, list = outcome[1], outcome[2]
    for _, id in ipairs(list) do
      redis.call('XADD', events, 'MAXLEN', '~', QUEUE_EVENTS_MAXLEN, '*', 'event', 'abandoned', 'job_id', id, 'then', kind)
      if kind ~= 'requeued' then redis.call('XADD', events, 'MAXLEN', '~', QUEUE_EVENTS_MAXLEN, '*', 'event', kind, 'job_id', id) end
    end
  end
end
return { failed, retried, requeued }
