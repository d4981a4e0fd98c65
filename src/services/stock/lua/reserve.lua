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
--- @include "../../lua-includes/saga_participant"
--- @include "includes/give_back"
local repeated = repeated_act(KEYS[1])
if repeated then
  return repeated
end

local ttl, sagaId, orderId = ARGV[1], ARGV[2], ARGV[3]
release_earlier(KEYS[2], ARGV[6], sagaId, orderId, ttl, function(held)
  return give_back(held, ARGV[5])
end)
local n = #KEYS - 2
local stocks = {}
for i = 1, n do
  stocks[i] = redis.call('HGET', KEYS[i + 2], 'stock')
  if not stocks[i] then
    return record_refusal(KEYS[1], 'item_not_found', ttl)
  end
end
for i = 1, n do
  if tonumber(stocks[i]) < tonumber(ARGV[i + 6]) then
    return record_refusal(KEYS[1], 'insufficient_stock', ttl)
  end
end
for i = 1, n do
  redis.call('HINCRBY', KEYS[i + 2], 'stock', '-' .. ARGV[i + 6])
end
return record_applied(KEYS[1], KEYS[2], sagaId, orderId, ARGV[4], ttl)
