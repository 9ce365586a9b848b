-- The wrk script of every benchmark: counts each response's status, so that a run with any
-- non-2xx can be refused (bench/harness.py), and reports as one JSON line.
--
-- Environment: METHOD (default GET); API_KEY (Authorization: Bearer); IF_MATCH; BODY_FILE
-- (a JSON body); with IDS_FILE and PATH_TEMPLATE (a `%s` for the id), each request takes
-- the next unused id of its thread's share (THREADS threads share the file line by line):
-- an id is never sent twice, and a thread whose share runs out reports it and stops.
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = os.getenv("METHOD") or "GET"
  if os.getenv("API_KEY") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY") end
  if os.getenv("IF_MATCH") then wrk.headers["If-Match"] = os.getenv("IF_MATCH") end
  if os.getenv("BODY_FILE") then
    local file = io.open(os.getenv("BODY_FILE"), "r")
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = file:read("*a")
    file:close()
  end
  template = os.getenv("PATH_TEMPLATE")
  ids, next_id = {}, 1
  if template then
    local stride, line_no = tonumber(os.getenv("THREADS")), 0
    for line in io.lines(os.getenv("IDS_FILE")) do
      if line_no % stride == index then ids[#ids + 1] = line end
      line_no = line_no + 1
    end
  end
  sent, answered, exhausted, statuses = 0, 0, false, {}
end

function request()
  if template == nil then
    sent = sent + 1
    return wrk.format()
  end
  local id = ids[next_id]
  if id == nil then
    -- No fresh id left: stop rather than re-send one (the run is then refused).
    exhausted = true
    wrk.thread:stop()
    return wrk.format(nil, "/ids-exhausted")
  end
  next_id = next_id + 1
  sent = sent + 1
  return wrk.format(nil, string.format(template, id))
end

function response(status, headers, body)
  answered = answered + 1
  statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
end

function done(summary, latency, requests)
  local counts, total_sent, total_answered, ran_out = {}, 0, 0, false
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do counts[code] = (counts[code] or 0) + n end
    total_sent = total_sent + thread:get("sent")
    total_answered = total_answered + thread:get("answered")
    ran_out = ran_out or thread:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%s": %d', code, n) end
  local errors = summary.errors
  io.write(string.format(
    'JSON {"statuses": {%s}, "sent": %d, "answered": %d, "exhausted": %s, "requests": %d, '
      .. '"duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    table.concat(parts, ", "), total_sent, total_answered, tostring(ran_out), summary.requests,
    summary.duration, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
