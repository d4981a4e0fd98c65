#!/bin/sh
# Starts one Redis Sentinel watching the three masters (order, stock, payment).
#
# The configuration is written afresh at every start, because Sentinel needs a writable file
# and a restarted Sentinel must watch the master of now, not the one of its last run: it asks
# the other Sentinels, then the nodes of the group (INFO replication), and only on a first
# start takes the first node of the group. Its id is derived from its host name so that its
# peers recognise it across restarts.
#
# Environment:
#   SENTINEL_SELF           host name this Sentinel announces
#   SENTINEL_PEERS          comma-separated host:port of all Sentinels (may include itself)
#   SENTINEL_GROUPS         space-separated NAME=host1,host2,... (first host bootstraps)
#   SENTINEL_QUORUM         Sentinels that must agree a master is down (default 2)
#   SENTINEL_DOWN_AFTER_MS  silence before a master is considered down (default 5000)
#   SENTINEL_FAILOVER_TIMEOUT_MS  (default 10000)
#   REDIS_PORT              port of the Redis nodes (default 6379)
#   SENTINEL_PORT           this Sentinel's port (default 26379)
#   SENTINEL_CONF           where the generated configuration goes (default /data/sentinel.conf)
#   SENTINEL_RESOLVE_WAIT_S how long to wait for a master's name to resolve (default 60)
#   REDIS_ADMIN_PASSWORD     user `admin` here and on the Redis nodes (operators, probes)
#   REDIS_SENTINEL_PASSWORD  user `sentinel` on the Redis nodes (auth-user of every master)
#   SENTINEL_PEER_PASSWORD   user `peer`: the Sentinels among themselves (sentinel-user)
#   SENTINEL_CLIENT_PASSWORD user `client`: the services asking for their master
#
# The default user is off; the ACL rules are those of src/cluster/redis-conf.ts.
set -eu

: "${SENTINEL_SELF:?}" "${SENTINEL_GROUPS:?}"
redis_port="${REDIS_PORT:-6379}"
sentinel_port="${SENTINEL_PORT:-26379}"
conf="${SENTINEL_CONF:-/data/sentinel.conf}"
conf_dir="$(dirname "$conf")"
: "${REDIS_ADMIN_PASSWORD:?}" "${REDIS_SENTINEL_PASSWORD:?}" "${SENTINEL_PEER_PASSWORD:?}"
: "${SENTINEL_CLIENT_PASSWORD:?}"
# redis-cli below logs in as admin, on Sentinels and Redis nodes alike.
export REDISCLI_AUTH="$REDIS_ADMIN_PASSWORD"
acl_peer='-@all allchannels +ping +info +publish +subscribe +client|setname +client|kill +sentinel|is-master-down-by-addr'
acl_client='-@all allchannels +ping +subscribe +psubscribe +unsubscribe +punsubscribe +client|setname +sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas +sentinel|slaves'

# shellcheck source-path=SCRIPTDIR source=master-lookup.sh
. "$(dirname "$0")/master-lookup.sh"

# Sentinel refuses to start on a master name that does not resolve (yet): in Kubernetes a pod's
# DNS name appears only once the pod exists. Wait for it (bounded) rather than crash-loop.
wait_resolvable() {
  command -v getent >/dev/null 2>&1 || return 0
  waited=0
  until getent hosts "$1" >/dev/null 2>&1; do
    [ "$waited" -ge "${SENTINEL_RESOLVE_WAIT_S:-60}" ] && return 0
    sleep 1
    waited=$((waited + 1))
  done
}

myid="$(printf '%s' "$SENTINEL_SELF" | sha1sum | cut -c 1-40)"
{
  echo "port $sentinel_port"
  echo "dir $conf_dir"
  echo "sentinel myid $myid"
  echo "sentinel resolve-hostnames yes"
  echo "sentinel announce-hostnames yes"
  echo "sentinel announce-ip $SENTINEL_SELF"
  echo "sentinel announce-port $sentinel_port"
  echo "user default off"
  echo "user admin on >$REDIS_ADMIN_PASSWORD allcommands allchannels"
  echo "user peer on >$SENTINEL_PEER_PASSWORD $acl_peer"
  echo "user client on >$SENTINEL_CLIENT_PASSWORD $acl_client"
  echo "sentinel sentinel-user peer"
  echo "sentinel sentinel-pass $SENTINEL_PEER_PASSWORD"
  for group in $SENTINEL_GROUPS; do
    name="${group%%=*}"
    hosts="${group#*=}"
    master="$(master_from_sentinels "${SENTINEL_PEERS:-}" "$name" "$SENTINEL_SELF")"
    [ -n "$master" ] || master="$(master_from_group "$hosts" "$redis_port")"
    [ -n "$master" ] || master="${hosts%%,*}"
    wait_resolvable "$master"
    echo "sentinel monitor $name $master $redis_port ${SENTINEL_QUORUM:-2}"
    echo "sentinel auth-user $name sentinel"
    echo "sentinel auth-pass $name $REDIS_SENTINEL_PASSWORD"
    echo "sentinel down-after-milliseconds $name ${SENTINEL_DOWN_AFTER_MS:-5000}"
    echo "sentinel failover-timeout $name ${SENTINEL_FAILOVER_TIMEOUT_MS:-10000}"
    echo "sentinel parallel-syncs $name 1"
  done
} >"$conf"
chmod 600 "$conf"
echo "sentinel-start: $SENTINEL_SELF watches: $(grep '^sentinel monitor' "$conf" | cut -d ' ' -f 3-4 | tr '\n' ' ')"
exec redis-server "$conf" --sentinel
