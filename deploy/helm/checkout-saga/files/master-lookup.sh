#!/bin/sh
# Finding the current master of a Redis group, for redis-start.sh and sentinel-start.sh (which
# source this file from their own directory). Both log in as admin: REDISCLI_AUTH is set.

# Prints the master host that the first answering Sentinel of $1 (comma-separated host:port)
# knows for master name $2, skipping Sentinels on host $3 (if given); or nothing.
master_from_sentinels() {
  for sentinel in $(echo "$1" | tr ',' ' '); do
    [ "${sentinel%:*}" = "${3:-}" ] && continue
    host="$(timeout 2 redis-cli --user admin -h "${sentinel%:*}" -p "${sentinel##*:}" --raw \
      SENTINEL get-master-addr-by-name "$2" 2>/dev/null | head -n 1)" || host=""
    case "$host" in *' '*) host="" ;; esac # an error reply, not a host name
    if [ -n "$host" ]; then
      echo "$host"
      return 0
    fi
  done
}

# Prints the first node of $1 (comma-separated hosts, Redis on port $2) that says it is a
# master, skipping node $3 (if given); or nothing.
master_from_group() {
  for node in $(echo "$1" | tr ',' ' '); do
    [ "$node" = "${3:-}" ] && continue
    if timeout 2 redis-cli --user admin -h "$node" -p "$2" INFO replication 2>/dev/null | grep -q '^role:master'; then
      echo "$node"
      return 0
    fi
  done
}
