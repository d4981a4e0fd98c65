--[[
  Takes from an item's stock, once per operation id: the outcome is recorded under KEYS[2], and
  a repeat (a client retry with the same Idempotency-Key, or ioredis re-sending after a
  reconnect) returns the recorded outcome and changes nothing. Stock never goes below 0.

  KEYS[1]  item hash
  KEYS[2]  operation record
  ARGV[1]  amount (exact integer string, >= 1)
  ARGV[2]  record TTL in ms

  Returns 'ok' | 'item_not_found' | 'insufficient_stock'.
]]
local recorded = redis.call('GET', KEYS[2])
if recorded then
  return recorded
end

local status
local stock = redis.call('HGET', KEYS[1], 'stock')
if not stock then
  status = 'item_not_found'
elseif tonumber(stock) < tonumber(ARGV[1]) then
  status = 'insufficient_stock'
else
  redis.call('HINCRBY', KEYS[1], 'stock', '-' .. ARGV[1])
  status = 'ok'
end
redis.call('SET', KEYS[2], status, 'PX', ARGV[2])
return status
