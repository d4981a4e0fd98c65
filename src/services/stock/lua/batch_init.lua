--[[
  Writes a chunk of items with fresh values, replacing existing ones (batch_init). The caller
  sends at most a few thousand keys per call so the server is never blocked for long.

  KEYS[1..n]  item hashes
  ARGV[1]     starting stock (exact integer string, >= 0)
  ARGV[2]     price (exact integer string)

  Returns n.
]]
for i = 1, #KEYS do
  -- The hash holds only these two fields, so HSET of both replaces the item entirely.
  redis.call('HSET', KEYS[i], 'stock', ARGV[1], 'price', ARGV[2])
end
return #KEYS
