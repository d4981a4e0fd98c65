--[[
  Takes from an item's stock, once per operation id: the outcome is recorded under KEYS[2], and
  a repeat (a client retry with the same Idempotency-Key, or ioredis re-sending after a
  reconnect) returns the recorded outcome and changes nothing. Stock never goes below 0.

  KEYS[1]  item hash
  KEYS[2]  operation record ('<status> <fingerprint>')
  ARGV[1]  amount (exact integer string, >= 1)
  ARGV[2]  record TTL in ms
  ARGV[3]  fingerprint of the request (method + path; '' for a per-call record): a
           record made by another request answers 'idempotency_key_reused', changing nothing

  Returns 'ok' | 'item_not_found' | 'insufficient_stock' |
  'idempotency_key_reused'.
]]
local recorded = redis.call('GET', KEYS[2])
if recorded then
  -- The key is bound to the request it first came with (IETF httpapi Idempotency-Key).
  local answer, fingerprint = string.match(recorded, '^(%S+) (.*)$')
  if fingerprint ~= ARGV[3] then
    return 'idempotency_key_reused'
  end
  return answer
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
redis.call('SET', KEYS[2], status .. ' ' .. ARGV[3], 'PX', ARGV[2])
return status
