#!/bin/sh
# Starts one Redis of a Sentinel group (master + replicas), in Kubernetes and in compose alike.
#
# A node must not blindly start as the master it was configured to be: after a failover the
# master is whichever node Sentinel promoted. So it asks, in order, the Sentinels, then the
# other nodes of its group (INFO replication), and only when nobody knows (first start) takes
# the first node of REDIS_GROUP as master. A node that wrongly starts as master cannot ack a
# write: min-replicas-to-write refuses writes until a replica is attached.
#
# Environment:
#   REDIS_SELF          host name this node announces (to replicas, Sentinels and clients)
#   REDIS_GROUP         comma-separated host names of the group; the first one bootstraps
#   REDIS_MASTER_NAME   Sentinel master name (order | stock | payment)
#   REDIS_SENTINELS     comma-separated host:port of the Sentinels
#   REDIS_PORT          port of every node of the group (default 6379)
#   REDIS_MIN_REPLICAS  min-replicas-to-write (default 1; 0 when the group has no replica)
#   REDIS_DATA_DIR      data directory, a persistent volume (default /data)
#   REDIS_MAXMEMORY     maxmemory (default 256mb), with noeviction: writes beyond it are refused
#   REDIS_SERVICE       the service whose data the group holds (order | stock | payment)
#   REDIS_SERVICE_PASSWORD   its ACL user's password (user REDIS_SERVICE, keys REDIS_SERVICE:*)
#   REDIS_ADMIN_PASSWORD     user `admin` (operators, probes; also on the Sentinels)
#   REDIS_REPLICA_PASSWORD   user `replica` (masteruser of every node)
#   REDIS_SENTINEL_PASSWORD  user `sentinel` (what the Sentinels log in as)
#
# The default user is off: nothing reaches a node without a password. The ACL rules are those
# of src/cluster/redis-conf.ts, word for word (test/deploy/redis-scripts.test.ts compares them).
#
# Settings as in src/cluster/redis-conf.ts (docs/architecture.md, Redis): AOF fsynced every second,
# diskless sync, and min-replicas-to-write so that a master cut off from its replicas refuses
# writes instead of acknowledging ones a failover would drop.
set -eu

port="${REDIS_PORT:-6379}"
: "${REDIS_SELF:?}" "${REDIS_GROUP:?}" "${REDIS_MASTER_NAME:?}" "${REDIS_SERVICE:?}"
: "${REDIS_SERVICE_PASSWORD:?}" "${REDIS_ADMIN_PASSWORD:?}" "${REDIS_REPLICA_PASSWORD:?}"
: "${REDIS_SENTINEL_PASSWORD:?}"
# redis-cli below logs in as admin (the password from the environment, not the command line).
export REDISCLI_AUTH="$REDIS_ADMIN_PASSWORD"
acl_service='-@all +@read +@write -@dangerous +eval +evalsha +eval_ro +evalsha_ro +script|load +script|exists +wait +ping +info +client|setname +client|id +select'
acl_replica='-@all +psync +replconf +ping'
acl_sentinel='-@all allchannels +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill'

# shellcheck source-path=SCRIPTDIR source=master-lookup.sh
. "$(dirname "$0")/master-lookup.sh"

master="$(master_from_sentinels "${REDIS_SENTINELS:-}" "$REDIS_MASTER_NAME")"
[ -n "$master" ] || master="$(master_from_group "$REDIS_GROUP" "$port" "$REDIS_SELF")"
[ -n "$master" ] || master="${REDIS_GROUP%%,*}"

# Written afresh at every start (the role comes from above, not from the last run) into the data
# directory, so that Sentinel's CONFIG REWRITE after a reconfiguration has a file to rewrite.
dir="${REDIS_DATA_DIR:-/data}"
conf="$dir/redis.conf"
{
  echo "port $port"
  echo "dir $dir"
  echo "appendonly yes"
  echo "appendfsync everysec"
  echo "save \"\""
  echo "repl-diskless-sync yes"
  echo "repl-diskless-sync-delay 0"
  echo "min-replicas-to-write ${REDIS_MIN_REPLICAS:-1}"
  echo "min-replicas-max-lag 10"
  echo "maxmemory ${REDIS_MAXMEMORY:-256mb}"
  echo "maxmemory-policy noeviction"
  # Saga hashes carry a journal of 100-400 bytes: keep them compact listpacks (src/cluster/redis-conf.ts).
  echo "hash-max-listpack-value 1024"
  echo "user default off"
  echo "user admin on >$REDIS_ADMIN_PASSWORD ~* &* +@all"
  echo "user $REDIS_SERVICE on >$REDIS_SERVICE_PASSWORD resetkeys ~$REDIS_SERVICE:* resetchannels $acl_service"
  echo "user replica on >$REDIS_REPLICA_PASSWORD $acl_replica"
  echo "user sentinel on >$REDIS_SENTINEL_PASSWORD $acl_sentinel"
  echo "masteruser replica"
  echo "masterauth $REDIS_REPLICA_PASSWORD"
  echo "replica-announce-ip $REDIS_SELF"
  echo "replica-announce-port $port"
  if [ "$master" != "$REDIS_SELF" ]; then echo "replicaof $master $port"; fi
} >"$conf"
chmod 600 "$conf"
if [ "$master" = "$REDIS_SELF" ]; then
  echo "redis-start: $REDIS_SELF starts as master of $REDIS_MASTER_NAME"
else
  echo "redis-start: $REDIS_SELF starts as replica of $master ($REDIS_MASTER_NAME)"
fi
exec redis-server "$conf"
