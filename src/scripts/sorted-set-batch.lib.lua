--[[
  Library, prepended to finish-and-start-jobs.lua (not a script on its own).

  sorted_set_batch() gathers the sorted-set writes of a step (registry entries of many jobs) and
  sends them as one command per key: ZADD key score id score id ..., ZREM key id id ... A Redis
  command called from Lua costs about a microsecond on top of its own work, and a step may end
  and start a hundred jobs. `batch.flush()` sends what was gathered: ZREMs first, then ZADDs, in
  chunks that stay far below Lua's limit on unpacked values.
]]
local function sorted_set_batch()
  local batch = { adds = {}, add_keys = {}, rems = {}, rem_keys = {} }
  local CHUNK = 1000

  local function gather(lists, keys, key)
    local list = lists[key]
    if not list then
      list = {}
      lists[key] = list
      keys[#keys + 1] = key
    end
    return list
  end

  local function send(command, key, values)
    for first = 1, #values, CHUNK do
      redis.call(command, key, unpack(values, first, math.min(first + CHUNK - 1, #values)))
    end
  end

  function batch.zadd(key, score, member)
    local list = gather(batch.adds, batch.add_keys, key)
    list[#list + 1] = score
    list[#list + 1] = member
  end

  function batch.zrem(key, member)
    local list = gather(batch.rems, batch.rem_keys, key)
    list[#list + 1] = member
  end

  function batch.flush()
    for _, key in ipairs(batch.rem_keys) do send('ZREM', key, batch.rems[key]) end
    for _, key in ipairs(batch.add_keys) do send('ZADD', key, batch.adds[key]) end
    batch.adds, batch.add_keys, batch.rems, batch.rem_keys = {}, {}, {}, {}
  end

  return batch
end
