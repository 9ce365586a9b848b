-- POST /bare with a submission-sized JSON document.
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local f = io.open(os.getenv("BODY_FILE"), "r")
  wrk.body = f:read("*a")
  f:close()
end

function done(summary, latency, requests)
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "errors_status": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
