--[[
  Takes from a user's credit, once per operation id: the outcome is recorded under KEYS[2], and
  a repeat (a client retry with the same Idempotency-Key, or ioredis re-sending after a
  reconnect) returns the recorded outcome and changes nothing. Credit never goes below 0.

  KEYS[1]  user credit (integer string)
  KEYS[2]  operation record ('<status> <fingerprint>')
  ARGV[1]  amount (exact integer string, >= 1)
  ARGV[2]  record TTL in ms
  ARGV[3]  fingerprint of the request (method + path; '' for a per-call record): a
           record made by another request answers 'idempotency_key_reused', changing nothing

  Returns 'ok' | 'user_not_found' | 'insufficient_credit' |
  'idempotency_key_reused'.
]]
--- @include "../../lua-includes/op_record"
return write_once(KEYS[2], ARGV[3], ARGV[2], function()
  local credit = redis.call('GET', KEYS[1])
  if not credit then
    return 'user_not_found'
  elseif tonumber(credit) < tonumber(ARGV[1]) then
    return 'insufficient_credit'
  end
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return 'ok'
end)
