#!/usr/bin/env bash
# Runs the post-login Action's tests against an all-in-one Nexus started here:
# the binary is $NEXUS_BIN (default ${CARGO_TARGET_DIR:-target}/debug/nexus,
# relative to the repository root), its data in a temporary directory, its
# gateway on a free port. Nexus is stopped and the directory removed however
# the tests end.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."

bin="${NEXUS_BIN:-${CARGO_TARGET_DIR:-target}/debug/nexus}"
[ -x "$bin" ] || { echo "no Nexus binary at $bin (build it with cargo build -p nexus, or set NEXUS_BIN)" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
command -v node >/dev/null || { echo "node (18 or later) is needed" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
  || { echo "node 18 or later is needed, found $(node --version)" >&2; exit 1; }

dir="$(mktemp -d)"
nexus_pid=""
stop() {
  status=$?
  if [ -n "$nexus_pid" ] && kill -0 "$nexus_pid" 2>/dev/null; then
    kill "$nexus_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$nexus_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$nexus_pid" 2>/dev/null || true
    wait "$nexus_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$dir/nexus.log" ]; then
    echo "-- last lines of the Nexus log" >&2
    tail -n 40 "$dir/nexus.log" >&2
  fi
  rm -rf "$dir"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Port 0 everywhere: the gateway's real address is read back from the ready
# banner, so no port is picked first and raced for.
(
  cd "$dir"
  unset NEXUS_CONFIG
  NEXUS__GATEWAY__LISTEN=127.0.0.1:0 NEXUS__IDENTITY__LISTEN=127.0.0.1:0 \
    NEXUS__UPN__LISTEN=127.0.0.1:0 NEXUS__TENANT_ACCESS__LISTEN=127.0.0.1:0 \
    exec "$bin" all-in-one >"$dir/nexus.log" 2>&1
) &
nexus_pid=$!

url=""
for _ in $(seq 1 150); do
  kill -0 "$nexus_pid" 2>/dev/null || { echo "Nexus exited before it was ready" >&2; exit 1; }
  url="$(sed -n 's/^ *REST gateway: \(http:\/\/[0-9.:]*\).*/\1/p' "$dir/nexus.log" | head -n 1)"
  if [ -n "$url" ] && curl -sf "$url/readyz" >/dev/null; then break; fi
  url=""
  sleep 0.2
done
[ -n "$url" ] || { echo "Nexus did not become ready within 30 s" >&2; exit 1; }
echo "Nexus is ready at $url"

eval "$(cd "$dir" && unset NEXUS_CONFIG && "$bin" dev token --sub action-test)"
NEXUS_TEST_URL="$url" NEXUS_TEST_TOKEN="$TOKEN" NEXUS_TEST_APPLICATION_TOKEN="$APPLICATION_TOKEN" \
  node --test "$here"/*.test.js
