--[[
  Drops the expired entries of a registry whose score is its expiry (finished, failed), as RQ's
  registry cleanup: every entry scored at or below the cutoff. The default cutoff is server time
  (server-time.lib.lua), so a worker whose clock runs ahead does not drop entries early.

  KEYS[1]  the registry, e.g. rq:finished:<queue>
  ARGV[1]  the cutoff in epoch seconds, or "" for now on the server
  Returns  the number of entries removed
]]
local cutoff = ARGV[1] ~= '' and ARGV[1] or server_time().whole
return redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, cutoff)
