#!/usr/bin/env bash
# Stops what deploy/local/up.sh started (the pids in its state directory),
# leaving PostgreSQL and NATS running. With --purge, also drops its databases
# and JetStream stream and removes the state directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

state="${NEXUS_LOCAL_STATE:-./nexus-local}"
pg="${NEXUS_LOCAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
purge=false
[ "${1:-}" = --purge ] && purge=true

if [ -s "$state/pids" ]; then
  # The gateway first, so that nothing calls a stopped service.
  tac "$state/pids" | while read -r name pid _; do
    kill -TERM "$pid" 2>/dev/null && echo "stopping $name ($pid)"
  done
  while read -r name pid _; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "$name did not stop; killing it"; kill -KILL "$pid"; }
  done <"$state/pids"
  : >"$state/pids"
fi

if $purge && [ -s "$state/tag" ]; then
  tag="$(cat "$state/tag")"
  for service in identity upn tenant_access; do
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS nexus_local_${tag}_${service} WITH (FORCE)"
  done
  # The JetStream API over the plain NATS protocol: no client to install.
  python3 - "${NEXUS_LOCAL_NATS_URL:-nats://127.0.0.1:4222}" "NEXUS_LOCAL_$tag" <<'PY' || true
import socket, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
with socket.create_connection((url.hostname, url.port or 4222), timeout=5) as s:
    s.recv(4096)
    s.sendall(f"CONNECT {{}}\r\nSUB _INBOX.down 1\r\nPUB $JS.API.STREAM.DELETE.{sys.argv[2]} _INBOX.down 0\r\n\r\n".encode())
    s.recv(4096)
PY
  rm -rf "$state"
fi
echo "down"
