--[[
  The stock participant's compensation: gives back what reserve recorded for this saga, once.

  Guarantees, in one atomic step:
  - record 'applied <order> <lines>' -> every recorded line's quantity goes back (whatever the
    command says: a garbled or forged release cannot mint stock), the record becomes
    'released' and the order's effect index, if it names this saga, is cleared;
  - record is a refusal -> record becomes 'released', stock unchanged;
  - no record -> a 'tombstone' is written, so a late reserve of this saga is a no-op;
  - 'released' / 'tombstone' -> nothing (a repeat never gives back twice).
  An item replaced meanwhile by batch_init still gets its quantity back; an item that no
  longer exists is not re-created. Items and the index are found from the prefixes in ARGV
  (a single Redis with Sentinel, never Redis Cluster, runs these scripts).

  KEYS[1]  saga record
  ARGV[1]  record TTL in ms
  ARGV[2]  saga id
  ARGV[3]  prefix of item hashes (the key of item '')
  ARGV[4]  prefix of the orders' effect indexes (the key of order '')

  Returns 'ok'.
]]
--- @include "../../lua-includes/saga_participant"
--- @include "includes/give_back"
return compensate(KEYS[1], ARGV[4], ARGV[2], ARGV[1], function(record)
  return give_back(record, ARGV[3])
end)
