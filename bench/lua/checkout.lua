-- wrk script: one checkout (POST /api/v1/orders) per request, each with a
-- cart of its own that bench/py/checkout_setup.py filled beforehand. Lines of
-- $BENCH_CARTS: "<access token>\t<cart id>\t<payment JSON>". Each wrk thread
-- takes every n-th line, so no cart is checked out twice.
local carts = {}
for line in io.lines(os.getenv("BENCH_CARTS")) do
  local token, cart, payment = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
  if token then carts[#carts + 1] = { token, cart, payment } end
end
local address =
  '{"name":"Bench Buyer","line1":"1 Load St","city":"Berlin","postal_code":"10115","country":"DE"}'

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("index", thread_count)
end

-- Thread i takes lines i, i + n, i + 2n, ... (n = BENCH_WRK_THREADS, wrk -t).
local next_line, step = 1, 1
function init(args)
  next_line = tonumber(index) or 1
  step = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
end

function request()
  local entry = carts[next_line]
  if entry == nil then
    -- Out of carts: wrap (the shop answers 422 "empty cart", counted as an error).
    next_line = (tonumber(index) or 1)
    entry = carts[next_line]
  end
  next_line = next_line + step
  local body = '{"cart_id":"' .. entry[2] .. '","shipping_address":' .. address ..
               ',"payment":' .. entry[3] .. '}'
  return wrk.format("POST", "/api/v1/orders", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. entry[1],
    ["Idempotency-Key"] = "bench-" .. entry[2],
  }, body)
end
