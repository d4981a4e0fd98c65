-- MAX_AMOUNT of src/lib/outcome.ts (2^53 - 1): below it every double is an exact integer, and
-- `max - amount` cannot round. Numbers go back to Redis only as ARGV strings, never tostring().
local MAX_AMOUNT = 9007199254740991
