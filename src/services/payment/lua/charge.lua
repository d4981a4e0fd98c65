--[[
  The payment participant's act of a checkout saga: takes the amount at most once per saga id,
  and keeps at most one uncompensated charge per order id.

  Guarantees, in one atomic step:
  - a saga seen before gets its recorded answer and nothing changes: 'applied' -> 'ok', a
    refusal -> that reason, 'released' / 'tombstone' (compensated first) -> 'compensated';
  - an earlier saga of the same order that still holds a charge lost its order-side record (a
    new saga of an order starts only after the last one was compensated or while it is
    unpaid): that charge is given back (its record becomes 'released') before this saga's own,
    so an order is never charged twice (docs/store-semantics.md, "one effect per order");
  - else the user must exist ('user_not_found') and its credit cover the amount
    ('insufficient_credit'); either the amount is taken and 'applied <order> <user>:<amount>'
    recorded (what refund gives back), or nothing is taken and the refusal recorded. An amount
    of 0 only checks the user.
  - the records live ARGV[1] ms, far longer than any command (docs/architecture.md, saga step 6).

  An earlier saga's record and user are found from the prefixes in ARGV, not KEYS: a single
  Redis (with Sentinel), never Redis Cluster, runs these scripts.

  KEYS[1]  saga record (string: 'applied <order> <user>:<amount>' | reason | 'released' | 'tombstone')
  KEYS[2]  the order's effect index: the id of the saga holding its charge
  KEYS[3]  user credit (integer string)
  ARGV[1]  record TTL in ms
  ARGV[2]  saga id
  ARGV[3]  order id ('' when the command carries none: no per-order guard)
  ARGV[4]  user id
  ARGV[5]  amount (exact integer string, >= 0)
  ARGV[6]  prefix of user credits (the key of user '')
  ARGV[7]  prefix of saga records (the key of saga '')

  Returns 'ok' | 'user_not_found' | 'insufficient_credit' | 'compensated'.
]]
--- @include "../../lua-includes/saga_participant"
--- @include "includes/give_back"
local repeated = repeated_act(KEYS[1])
if repeated then
  return repeated
end

local ttl, sagaId, orderId = ARGV[1], ARGV[2], ARGV[3]
release_earlier(KEYS[2], ARGV[7], sagaId, orderId, ttl, function(held)
  return give_back(held, ARGV[6])
end)
local credit = redis.call('GET', KEYS[3])
if not credit then
  return record_refusal(KEYS[1], 'user_not_found', ttl)
elseif tonumber(credit) < tonumber(ARGV[5]) then
  return record_refusal(KEYS[1], 'insufficient_credit', ttl)
end
redis.call('DECRBY', KEYS[3], ARGV[5])
return record_applied(KEYS[1], KEYS[2], sagaId, orderId, ARGV[4] .. ':' .. ARGV[5], ttl)
