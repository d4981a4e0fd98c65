--[[
  The stock participant's compensation: gives back what reserve took for this saga, once.

  Guarantees, in one atomic step:
  - record 'applied' -> every line's quantity goes back, record becomes 'released';
  - record is a refusal -> record becomes 'released', stock unchanged;
  - no record -> a 'tombstone' is written, so a late reserve of this saga is a no-op;
  - 'released' / 'tombstone' -> nothing (a repeat never gives back twice).
  The caller passes the same lines as to reserve. An item replaced meanwhile by batch_init
  still gets its quantity back; an item that no longer exists is not re-created.

  KEYS[1]         saga record
  KEYS[2..n+1]    item hashes, one per line
  ARGV[1]         record TTL in ms
  ARGV[2..n+1]    quantity per line (exact integer strings)

  Returns 'ok'.
]]
local record = redis.call('GET', KEYS[1])
if record == 'released' or record == 'tombstone' then
  return 'ok'
end
if record == 'applied' then
  for i = 1, #KEYS - 1 do
    if redis.call('EXISTS', KEYS[i + 1]) == 1 then
      redis.call('HINCRBY', KEYS[i + 1], 'stock', ARGV[i + 1])
    end
  end
  redis.call('SET', KEYS[1], 'released', 'PX', ARGV[1])
elseif record then
  redis.call('SET', KEYS[1], 'released', 'PX', ARGV[1])
else
  redis.call('SET', KEYS[1], 'tombstone', 'PX', ARGV[1])
end
return 'ok'
