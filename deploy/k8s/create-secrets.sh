#!/bin/sh
# Creates the three Secrets the manifests of deploy/k8s read (they ship none: no credential is
# ever committed), from an env file of deploy/gen-secrets.sh:
#
#   sh deploy/gen-secrets.sh /secure/place/checkout-saga.env
#   sh deploy/k8s/create-secrets.sh /secure/place/checkout-saga.env   # then kubectl apply
#
# NAMESPACE (default checkout-saga) and KUBECTL (default kubectl) may be set. The key names are
# those the chart's templates/secret.yaml renders.
set -eu

env_file="${1:?usage: create-secrets.sh ENV_FILE (from deploy/gen-secrets.sh)}"
ns="${NAMESPACE:-checkout-saga}"
kubectl="${KUBECTL:-kubectl}"

# Read NAME=value lines without executing the file.
value() {
  v="$(sed -n "s/^$1=//p" "$env_file" | head -n 1)"
  if [ -z "$v" ]; then
    echo "create-secrets: $1 missing in $env_file" >&2
    exit 1
  fi
  printf '%s' "$v"
}

# Every value read first (an assignment fails the script under set -e; an argument would not).
user="$(value RABBITMQ_USER)"
password="$(value RABBITMQ_PASSWORD)"
cookie="$(value RABBITMQ_ERLANG_COOKIE)"
order="$(value REDIS_ORDER_PASSWORD)"
stock="$(value REDIS_STOCK_PASSWORD)"
payment="$(value REDIS_PAYMENT_PASSWORD)"
admin="$(value REDIS_ADMIN_PASSWORD)"
replica="$(value REDIS_REPLICA_PASSWORD)"
sentinel="$(value REDIS_SENTINEL_PASSWORD)"
peer="$(value SENTINEL_PEER_PASSWORD)"
client="$(value SENTINEL_CLIENT_PASSWORD)"
admin_token="$(value ADMIN_TOKEN)"

"$kubectl" -n "$ns" create secret generic checkout-saga-amqp \
  --from-literal=url="amqp://$user:$password@checkout-saga-rabbitmq.$ns.svc.cluster.local:5672" \
  --from-literal=username="$user" \
  --from-literal=password="$password" \
  --from-literal=erlang-cookie="$cookie"
"$kubectl" -n "$ns" create secret generic checkout-saga-redis \
  --from-literal=order="$order" \
  --from-literal=stock="$stock" \
  --from-literal=payment="$payment" \
  --from-literal=admin="$admin" \
  --from-literal=replica="$replica" \
  --from-literal=sentinel="$sentinel" \
  --from-literal=sentinel-peer="$peer" \
  --from-literal=sentinel-client="$client"
# Read by the order pods only (ADMIN_TOKEN: the operator API and console).
"$kubectl" -n "$ns" create secret generic checkout-saga-admin \
  --from-literal=token="$admin_token"
