-- POST /v1/applications/{id}/submit, each request on a different draft (ids from IDS_FILE).
local ids = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
  stride = tonumber(os.getenv("THREADS"))
  counter = thread_index
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY")
  wrk.headers["If-Match"] = '"1"'
end

function request()
  counter = counter + stride
  local id = ids[(counter % #ids) + 1]
  return wrk.format(nil, "/v1/applications/" .. id .. "/submit")
end

function done(summary, latency, requests)
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "errors_status": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
