-- Replays prepared requests with wrk, optionally paced. Used by benchmarks/InfraGuard.Benchmarks.Serve.
--
--   WRK_REQUESTS=file  one request a line: PATH<TAB>TIMESTAMP<TAB>SIGNATURE<TAB>BODY. With a timestamp it is a signed
--                      Slack POST (X-Slack-Request-Timestamp / X-Slack-Signature); without, a GET of PATH.
--                      Thread t of T sends lines t, t+T, t+2T, ... so no signed request is sent twice; GET lines wrap.
--   WRK_THREADS=n      the -t given to wrk.
--   WRK_DELAY_MS=n     each connection waits n ms after a response before its next request (pacing: about
--                      connections * 1000 / (n + latency) requests a second).
-- Headers given with wrk -H (e.g. Authorization) are sent with every request.

-- wrk starts each thread right after its setup(), so the thread count comes from WRK_THREADS (= wrk -t).
local started = 0

function setup(thread)
  thread:set("index", started)
  started = started + 1
end

function init(args)
  lines = {}
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local path, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(lines, { path = path, ts = ts, sig = sig, body = body })
  end
  total = tonumber(os.getenv("WRK_THREADS"))
  next_line = index + 1
  pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
end

function delay()
  return pause
end

function request()
  local r = lines[(next_line - 1) % #lines + 1]
  next_line = next_line + total
  local headers = {}
  for k, v in pairs(wrk.headers) do
    headers[k] = v
  end
  if r.ts == "" then
    return wrk.format("GET", r.path, headers, nil)
  end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["X-Slack-Request-Timestamp"] = r.ts
  headers["X-Slack-Signature"] = r.sig
  return wrk.format("POST", r.path, headers, r.body)
end
