--[[
  The payment participant's compensation: gives back what charge took for this saga, once.

  Guarantees, in one atomic step:
  - record 'applied' -> the amount goes back, record becomes 'released';
  - record is a refusal -> record becomes 'released', credit unchanged;
  - no record -> a 'tombstone' is written, so a late charge of this saga is a no-op;
  - 'released' / 'tombstone' -> nothing (a repeat never gives back twice).
  The caller passes the same user and amount as to charge. A user that no longer exists is
  not re-created.

  KEYS[1]  saga record
  KEYS[2]  user credit (integer string)
  ARGV[1]  record TTL in ms
  ARGV[2]  amount (exact integer string, >= 0)

  Returns 'ok'.
]]
local record = redis.call('GET', KEYS[1])
if record == 'released' or record == 'tombstone' then
  return 'ok'
end
if record == 'applied' then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('INCRBY', KEYS[2], ARGV[2])
  end
  redis.call('SET', KEYS[1], 'released', 'PX', ARGV[1])
elseif record then
  redis.call('SET', KEYS[1], 'released', 'PX', ARGV[1])
else
  redis.call('SET', KEYS[1], 'tombstone', 'PX', ARGV[1])
end
return 'ok'
