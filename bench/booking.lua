-- wrk: POST bookings, each request a different free slot (bodies from BOOKINGS, strided per thread), as the patient
-- of TOKEN or, with TOKENS (a file of access tokens, one per line), as each of those patients in turn.
local counter = 0

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

init = function(args)
  bodies = {}
  for line in io.lines(os.getenv("BOOKINGS")) do bodies[#bodies + 1] = line end
  stride = tonumber(os.getenv("WRK_THREADS"))
  i = offset + tonumber(os.getenv("START") or "0")  -- each repeated run books fresh slots
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  tokens = {}
  if os.getenv("TOKENS") then
    for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
  else
    tokens[1] = "Bearer " .. os.getenv("TOKEN")
  end
end

request = function()
  i = i + stride
  wrk.headers["Authorization"] = tokens[(i % #tokens) + 1]
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
dofile("report.lua")  -- wrk takes one script; the summary is shared with the read runs
