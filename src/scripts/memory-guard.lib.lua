--[[
  Library, prepended to scripts that add data (not a script on its own).

  A Redis out of memory (maxmemory reached, policy noeviction) refuses a script at its first write
  that may add memory (SET, HSET, ZADD, RPUSH...: Redis' "denyoom" commands), and refuses nothing
  after a first write that went through: it cannot stop a script half-way. A script whose first
  write is LPOP, DEL or EXPIRE therefore runs whole, however full Redis is.

  refuse_when_full(guard): a first write that a full Redis refuses and that changes nothing
  otherwise: SETRANGE of an empty string on `guard`, a key that never exists (keys.ts'
  MEMORY_GUARD_KEY; SETRANGE of nothing does not create it). A script that calls it before any
  other write is refused whole with Redis' OOM error, or runs whole.
]]
local function refuse_when_full(guard)
  redis.call('SETRANGE', guard, 0, '')
end
