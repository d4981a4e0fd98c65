--[[
  The payment participant's compensation: gives back what charge recorded for this saga, once.

  Guarantees, in one atomic step:
  - record 'applied <order> <user>:<amount>' -> the recorded amount goes back to the recorded
    user (whatever the command says: a garbled or forged refund cannot mint credit), the
    record becomes 'released' and the order's effect index, if it names this saga, is cleared;
  - record is a refusal -> record becomes 'released', credit unchanged;
  - no record -> a 'tombstone' is written, so a late charge of this saga is a no-op;
  - 'released' / 'tombstone' -> nothing (a repeat never gives back twice).
  A user that no longer exists is not re-created. The user and the index are found from the
  prefixes in ARGV (a single Redis with Sentinel, never Redis Cluster, runs these scripts).

  KEYS[1]  saga record
  ARGV[1]  record TTL in ms
  ARGV[2]  saga id
  ARGV[3]  prefix of user credits (the key of user '')
  ARGV[4]  prefix of the orders' effect indexes (the key of order '')

  Returns 'ok'.
]]
--- @include "../../lua-includes/saga_participant"
--- @include "includes/give_back"
return compensate(KEYS[1], ARGV[4], ARGV[2], ARGV[1], function(record)
  return give_back(record, ARGV[3])
end)
