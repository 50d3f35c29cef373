--[[
  Library, prepended to the scripts that write times (not a script on its own).

  Times other processes compare come from Redis, not from the caller's clock, which may be minutes
  off: a script reads the server's clock once (TIME) and derives every score and timestamp text it
  writes from that one reading.

  server_time(): now on the server, { seconds, whole, text }: seconds since the epoch with the
  microseconds as fraction, the whole seconds, and the text as RQ writes timestamps, "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC,
  six fraction digits, literal Z: Python's utcformat). Lua in Redis has no os.date, so the
  calendar date is worked out here from the day number (proleptic Gregorian calendar, in
  400-year eras of 146097 days, each year counted from March so that February's leap day ends it).

  timestamp_text(seconds, micros): that text for whole `seconds` since the epoch and `micros`.
]]
local function timestamp_text(seconds, micros)
  local days = math.floor(seconds / 86400)
  local of_day = seconds - days * 86400
  -- Day 0 of an era is the 1st of March of a year divisible by 400; 1970-01-01 is day 719468 of year 0's era.
  local shifted = days + 719468
  local era = math.floor(shifted / 146097)
  local day_of_era = shifted - era * 146097
  local year_of_era = math.floor((day_of_era - math.floor(day_of_era / 1460) + math.floor(day_of_era / 36524) - math.floor(day_of_era / 146096)) / 365)
  local day_of_year = day_of_era - (365 * year_of_era + math.floor(year_of_era / 4) - math.floor(year_of_era / 100))
  local month_from_march = math.floor((5 * day_of_year + 2) / 153)
  local day = day_of_year - math.floor((153 * month_from_march + 2) / 5) + 1
  local month = month_from_march < 10 and month_from_march + 3 or month_from_march - 9
  local year = era * 400 + year_of_era + (month <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%06dZ', year, month, day,
    math.floor(of_day / 3600), math.floor(of_day % 3600 / 60), of_day % 60, micros)
end

local function server_time()
  local time = redis.call('TIME')
  local seconds, micros = tonumber(time[1]), tonumber(time[2])
  return { seconds = seconds + micros / 1000000, whole = seconds, text = timestamp_text(seconds, micros) }
end
