--[[
  The stock participant's act of a checkout saga: takes every line's quantity, all or nothing,
  at most once per saga id.

  Guarantees, in one atomic step:
  - a saga seen before gets its recorded answer and nothing changes: 'applied' -> 'ok', a
    refusal -> that reason, 'released' / 'tombstone' (compensated first) -> 'compensated';
  - else every item must exist (the first missing -> 'item_not_found'), then every stock must
    cover its line ('insufficient_stock'); either all lines are taken and 'applied' recorded,
    or nothing is taken and the refusal recorded. An empty reservation is 'ok' and recorded.
  - the record lives ARGV[1] ms, far longer than any command (ARCHITECTURE §3.5).

  KEYS[1]         saga record (string: 'applied' | reason | 'released' | 'tombstone')
  KEYS[2..n+1]    item hashes, one per line, distinct items
  ARGV[1]         record TTL in ms
  ARGV[2..n+1]    quantity per line (exact integer strings, >= 1)

  Returns 'ok' | 'item_not_found' | 'insufficient_stock' | 'compensated'.
]]
local record = redis.call('GET', KEYS[1])
if record then
  if record == 'applied' then
    return 'ok'
  end
  if record == 'released' or record == 'tombstone' then
    return 'compensated'
  end
  return record
end

local n = #KEYS - 1
local stocks = {}
for i = 1, n do
  local stock = redis.call('HGET', KEYS[i + 1], 'stock')
  if not stock then
    redis.call('SET', KEYS[1], 'item_not_found', 'PX', ARGV[1])
    return 'item_not_found'
  end
  stocks[i] = stock
end
for i = 1, n do
  if tonumber(stocks[i]) < tonumber(ARGV[i + 1]) then
    redis.call('SET', KEYS[1], 'insufficient_stock', 'PX', ARGV[1])
    return 'insufficient_stock'
  end
end
for i = 1, n do
  redis.call('HINCRBY', KEYS[i + 1], 'stock', '-' .. ARGV[i + 1])
end
redis.call('SET', KEYS[1], 'applied', 'PX', ARGV[1])
return 'ok'
