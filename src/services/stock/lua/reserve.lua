--[[
  The stock participant's act of a checkout saga: takes every line's quantity, all or nothing,
  at most once per saga id, and at most one uncompensated reservation per order id.

  Guarantees, in one atomic step:
  - a saga seen before gets its recorded answer and nothing changes: 'applied' -> 'ok', a
    refusal -> that reason, 'released' / 'tombstone' (compensated first) -> 'compensated';
  - an earlier saga of the same order that still holds a reservation lost its order-side
    record (a new saga of an order starts only after the last one was compensated or while it
    is unpaid): that reservation is given back (its record becomes 'released') before this
    saga's own, so an order never holds two (docs/store-semantics.md, "one effect per order");
  - else every item must exist (the first missing -> 'item_not_found'), then every stock must
    cover its line ('insufficient_stock'); either all lines are taken and 'applied <order>
    <lines>' recorded (what release gives back), or nothing is taken and the refusal recorded.
    An empty reservation is 'ok' and recorded.
  - the records live ARGV[1] ms, far longer than any command (docs/architecture.md, saga step 6).

  An earlier saga's record and items are found from the prefixes in ARGV, not KEYS: a single
  Redis (with Sentinel), never Redis Cluster, runs these scripts.

  KEYS[1]         saga record (string: 'applied <order> <lines>' | reason | 'released' | 'tombstone')
  KEYS[2]         the order's effect index: the id of the saga holding its reservation
  KEYS[3..n+2]    item hashes, one per line, distinct items
  ARGV[1]         record TTL in ms
  ARGV[2]         saga id
  ARGV[3]         order id ('' when the command carries none: no per-order guard)
  ARGV[4]         the lines as recorded: 'item:qty,' per line, in KEYS order
  ARGV[5]         prefix of item hashes (the key of item '')
  ARGV[6]         prefix of saga records (the key of saga '')
  ARGV[7..n+6]    quantity per line (exact integer strings, >= 1)

  Returns 'ok' | 'item_not_found' | 'insufficient_stock' | 'compensated'.
]]
local record = redis.call('GET', KEYS[1])
if record then
  if string.sub(record, 1, 8) == 'applied ' then
    return 'ok'
  end
  if record == 'released' or record == 'tombstone' then
    return 'compensated'
  end
  return record
end

local ttl, sagaId, orderId = ARGV[1], ARGV[2], ARGV[3]
if orderId ~= '' then
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= sagaId then
    local heldKey = ARGV[6] .. holder
    local held = redis.call('GET', heldKey)
    local lines = held and string.match(held, '^applied %S* (%S*)$')
    if lines then
      for itemId, quantity in string.gmatch(lines, '([^:,]+):(%d+),') do
        if redis.call('EXISTS', ARGV[5] .. itemId) == 1 then
          redis.call('HINCRBY', ARGV[5] .. itemId, 'stock', quantity)
        end
      end
      redis.call('SET', heldKey, 'released', 'PX', ttl)
    end
    redis.call('DEL', KEYS[2])
  end
end

local n = #KEYS - 2
local stocks = {}
for i = 1, n do
  local stock = redis.call('HGET', KEYS[i + 2], 'stock')
  if not stock then
    redis.call('SET', KEYS[1], 'item_not_found', 'PX', ttl)
    return 'item_not_found'
  end
  stocks[i] = stock
end
for i = 1, n do
  if tonumber(stocks[i]) < tonumber(ARGV[i + 6]) then
    redis.call('SET', KEYS[1], 'insufficient_stock', 'PX', ttl)
    return 'insufficient_stock'
  end
end
for i = 1, n do
  redis.call('HINCRBY', KEYS[i + 2], 'stock', '-' .. ARGV[i + 6])
end
redis.call('SET', KEYS[1], 'applied ' .. orderId .. ' ' .. ARGV[4], 'PX', ttl)
if orderId ~= '' then
  redis.call('SET', KEYS[2], sagaId, 'PX', ttl)
end
return 'ok'
