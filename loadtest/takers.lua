-- wrk script: every connection is a stream of takers, each one
--   GET /s/<token>/answer/ -> POST the filled form -> GET the thank-you page.
-- Run with as many threads as connections (-t N -c N), so each thread's state belongs to
-- one connection. The survey's public path comes from the SURVEY_PATH environment variable.
-- Counts: acks (POSTs answered 302 to the thank-you page), posts (POSTs sent), errors.

local survey = os.getenv("SURVEY_PATH")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  state = "cookie"
  csrf_cookie = nil
  acks, posts, errors = 0, 0, 0
  body = nil
end

local function cookie_header()
  return { ["Cookie"] = "__Host-csrftoken=" .. csrf_cookie }
end

function request()
  if state == "cookie" then
    -- The log-in page sets only the CSRF cookie, which every later request reuses.
    return wrk.format("GET", "/accounts/login/")
  elseif state == "form" then
    return wrk.format("GET", survey .. "answer/", cookie_header())
  elseif state == "post" then
    posts = posts + 1
    local headers = cookie_header()
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Referer"] = "https://" .. wrk.host .. ":" .. wrk.port .. survey .. "answer/"
    return wrk.format("POST", survey .. "answer/", headers, body)
  else
    return wrk.format("GET", survey .. "thanks/", cookie_header())
  end
end

function response(status, headers, page)
  if state == "cookie" then
    local set = headers["Set-Cookie"] or ""
    csrf_cookie = string.match(set, "__Host%-csrftoken=([^;]+)")
    if csrf_cookie then state = "form" else errors = errors + 1 end
  elseif state == "form" then
    if status ~= 200 then errors = errors + 1; return end
    local csrf = string.match(page, 'name="csrfmiddlewaretoken" value="([^"]+)"')
    local token = string.match(page, 'name="token" value="([^"]+)"')
    local fields = { "csrfmiddlewaretoken=" .. csrf, "token=" .. token }
    local seen = {}
    for name, value in string.gmatch(page, 'name="(q_%d+)" value="(%d+)"') do
      if not seen[name] then
        seen[name] = true
        table.insert(fields, name .. "=" .. value)
      end
    end
    body = table.concat(fields, "&")
    state = "post"
  elseif state == "post" then
    if status == 302 then acks = acks + 1; state = "thanks" else errors = errors + 1; state = "form" end
  else
    if status ~= 200 then errors = errors + 1 end
    state = "form"
  end
end

function done(summary, latency, requests)
  local total_acks, total_posts, total_errors = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_acks = total_acks + thread:get("acks")
    total_posts = total_posts + thread:get("posts")
    total_errors = total_errors + thread:get("errors")
  end
  io.write(string.format(
    "RESULT acks=%d posts=%d errors=%d requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d socket_errors=%d\n",
    total_acks, total_posts, total_errors, summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
