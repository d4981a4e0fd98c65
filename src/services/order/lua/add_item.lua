--[[
  Appends a line to an order and adds its cost, once per call id: the outcome is recorded under
  KEYS[2], so ioredis re-sending the call after a reconnect changes nothing.

  Guarantees, in one atomic step: the order must exist ('order_not_found'), not be paid
  ('order_paid'), not be frozen by a running checkout ('checkout_running'), and its total must
  stay <= MAX_AMOUNT ('overflow'), and the order must stay within ARGV[5] lines and ARGV[6]
  units in all ('order_too_large': a checkout reserves every line in one atomic script, so an
  order may not grow without bound); then the line is appended (duplicates kept, in call
  order) and the cost added with HINCRBY (exact 64-bit integers, never a double written back).

  KEYS[1]  order hash {user, items, total, paid, saga}
  KEYS[2]  call or operation record ('<status> <fingerprint>')
  ARGV[1]  the encoded line `item:qty,` (src/lib/items.ts)
  ARGV[2]  the line's cost qty * price as an exact integer string, or '' if it exceeds MAX_AMOUNT
  ARGV[3]  record TTL in ms
  ARGV[4]  the line's quantity
  ARGV[5]  most lines an order may hold
  ARGV[6]  most units (sum of quantities) an order may hold
  ARGV[7]  fingerprint of the request (method + path; '' for a per-call record): a
           record made by another request answers 'idempotency_key_reused', changing nothing

  Returns 'ok' | 'order_not_found' | 'order_paid' | 'checkout_running' | 'overflow' |
  'order_too_large' | 'idempotency_key_reused'.
]]
--- @include "../../lua-includes/op_record"
--- @include "../../lua-includes/max_amount"
return write_once(KEYS[2], ARGV[7], ARGV[3], function()
  local order = redis.call('HMGET', KEYS[1], 'user', 'paid', 'saga', 'total', 'items')
  if not order[1] then
    return 'order_not_found'
  elseif order[2] == '1' then
    return 'order_paid'
  elseif order[3] then
    return 'checkout_running'
  elseif ARGV[2] == '' or tonumber(order[4] or '0') > MAX_AMOUNT - tonumber(ARGV[2]) then
    return 'overflow'
  end
  -- At most ARGV[5] lines of `item:qty,` to walk: cheap, and needs no counter fields.
  local lines, units = 1, tonumber(ARGV[4])
  for quantity in string.gmatch(order[5] or '', ':(%d+),') do
    lines = lines + 1
    units = units + tonumber(quantity)
  end
  if lines > tonumber(ARGV[5]) or units > tonumber(ARGV[6]) then
    return 'order_too_large'
  end
  redis.call('HINCRBY', KEYS[1], 'total', ARGV[2])
  redis.call('HSET', KEYS[1], 'items', (order[5] or '') .. ARGV[1])
  return 'ok'
end)
