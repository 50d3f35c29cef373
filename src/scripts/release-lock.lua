--[[
  Releases a lock only when it still holds our value (another holder's lock is left alone).

  KEYS[1]  the lock key
  ARGV[1]  our value
  Returns  1 when released, else 0
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
