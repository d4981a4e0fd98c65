--[[
  The payment participant's act of a checkout saga: takes the amount at most once per saga id.

  Guarantees, in one atomic step:
  - a saga seen before gets its recorded answer and nothing changes: 'applied' -> 'ok', a
    refusal -> that reason, 'released' / 'tombstone' (compensated first) -> 'compensated';
  - else the user must exist ('user_not_found') and its credit cover the amount
    ('insufficient_credit'); either the amount is taken and 'applied' recorded, or nothing is
    taken and the refusal recorded. An amount of 0 only checks the user.
  - the record lives ARGV[1] ms, far longer than any command (ARCHITECTURE §3.5).

  KEYS[1]  saga record (string: 'applied' | reason | 'released' | 'tombstone')
  KEYS[2]  user credit (integer string)
  ARGV[1]  record TTL in ms
  ARGV[2]  amount (exact integer string, >= 0)

  Returns 'ok' | 'user_not_found' | 'insufficient_credit' | 'compensated'.
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

local status = 'applied'
local credit = redis.call('GET', KEYS[2])
if not credit then
  status = 'user_not_found'
elseif tonumber(credit) < tonumber(ARGV[2]) then
  status = 'insufficient_credit'
else
  redis.call('DECRBY', KEYS[2], ARGV[2])
end
redis.call('SET', KEYS[1], status, 'PX', ARGV[1])
if status == 'applied' then
  return 'ok'
end
return status
