-- wrk: POST bookings, each request a different free slot (bodies from BOOKINGS, strided per thread).
local counter = 0
local threads = {}

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  bodies = {}
  for line in io.lines(os.getenv("BOOKINGS")) do bodies[#bodies + 1] = line end
  stride = tonumber(os.getenv("WRK_THREADS"))
  i = offset
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

request = function()
  i = i + stride
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
-- wrk: print one JSON line with throughput, latency percentiles and non-2xx counts, for bench/run.py to read.
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
