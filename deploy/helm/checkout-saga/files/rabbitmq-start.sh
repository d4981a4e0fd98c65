#!/bin/sh
# Starts a RabbitMQ node (rabbitmq:3.13 image) with the installation's Erlang cookie, used by
# the Helm chart and by compose:  rabbitmq-start.sh docker-entrypoint.sh rabbitmq-server
#
# The cookie (ERLANG_COOKIE, from the generated credentials) is written to $HOME/.erlang.cookie,
# owner-only (0400) and owned by the rabbitmq user: the file is what both the server and the
# CLI tools (rabbitmq-diagnostics in the health checks) read, in every RabbitMQ version.
# RABBITMQ_ERLANG_COOKIE, used before, was deprecated from 3.8.6 on (CLI warnings, the docker
# image's entrypoint no longer writes the file since 3.9), and a Secret cannot be mounted as
# that file directly: Kubernetes makes it group-readable under fsGroup, and Erlang refuses a
# cookie file that anyone but its owner can read.
set -eu

: "${ERLANG_COOKIE:?rabbitmq-start.sh: ERLANG_COOKIE is not set}"
cookie_file="${HOME:?}/.erlang.cookie"

# Written beside, then renamed: a previous start left a read-only file, which rename replaces.
umask 077
printf '%s' "$ERLANG_COOKIE" >"$cookie_file.new"
chmod 0400 "$cookie_file.new"
# Compose starts the container as root (the image's entrypoint then drops to rabbitmq).
if [ "$(id -u)" = 0 ]; then
  chown rabbitmq:rabbitmq "$cookie_file.new"
fi
mv -f "$cookie_file.new" "$cookie_file"

# The broker's environment keeps no copy of the cookie.
unset ERLANG_COOKIE
exec "$@"
