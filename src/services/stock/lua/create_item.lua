--[[
  Creates an item with stock 0, unless it exists: a delayed resend never resets an item.

  KEYS[1]  item hash
  ARGV[1]  price (exact integer string)

  Returns 1 if created, 0 if the item existed (unchanged).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'stock', '0', 'price', ARGV[1])
return 1
