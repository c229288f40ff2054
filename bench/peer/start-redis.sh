#!/usr/bin/env bash
# Starts a throwaway redis-server for the BullMQ comparison and prints its pid.
# Usage: bench/peer/start-redis.sh PORT DIR
# Installs Debian's redis-server when it is missing (as root: apt-get update, then install).
# The server listens on 127.0.0.1:PORT only, keeps nothing on disk (no RDB snapshots, no AOF)
# and writes its pid file and log in DIR. The benchmark stops it by that pid when done.
set -euo pipefail

port="${1:?usage: start-redis.sh PORT DIR}"
dir="${2:?usage: start-redis.sh PORT DIR}"

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "redis-server is not installed and installing it needs root (apt-get install redis-server)" >&2
    exit 3
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
fi

mkdir -p "$dir"
redis-server \
  --port "$port" \
  --bind 127.0.0.1 \
  --save "" \
  --appendonly no \
  --dir "$dir" \
  --pidfile "$dir/redis.pid" \
  --logfile "$dir/redis.log" \
  --daemonize yes

for _ in $(seq 1 200); do
  if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
    cat "$dir/redis.pid"
    exit 0
  fi
  sleep 0.05
done
echo "redis-server did not answer on port $port; its log:" >&2
cat "$dir/redis.log" >&2 || true
exit 4
