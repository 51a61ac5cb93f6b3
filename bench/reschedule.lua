-- wrk: POST reschedules, each line "<appointment id>\t<body>" moving one of the patient's appointments to a fresh
-- free time of its doctor (lines from MOVES, strided per thread).
local counter = 0

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

init = function(args)
  moves = {}
  for line in io.lines(os.getenv("MOVES")) do
    local id, body = line:match("^(%d+)\t(.*)$")
    moves[#moves + 1] = {id, body}
  end
  stride = tonumber(os.getenv("WRK_THREADS"))
  i = offset + tonumber(os.getenv("START") or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

request = function()
  i = i + stride
  local move = moves[(i % #moves) + 1]
  return wrk.format(nil, "/api/appointments/my/" .. move[1] .. "/reschedule/", nil, move[2])
end
dofile("report.lua")
