#!/usr/bin/env bash
# The four-process topology end to end: deploy/local/up.sh with two identity
# replicas (debug build), then through the gateway: create a user, an IdP
# tenant, link them, $sync, attach the user to a tenant's back office, give
# it a custom UPN; checks each answer, checks that both identity replicas
# served calls, and tears everything down (databases and stream included).
set -euo pipefail
cd "$(dirname "$0")/../.."

state="$(mktemp -d)"
export NEXUS_LOCAL_STATE="$state"
export NEXUS_LOCAL_PROFILE=debug
export NEXUS_LOCAL_IDENTITY_REPLICAS=2
# A free gateway port and a free run of twelve gRPC ports.
read -r NEXUS_LOCAL_PORT NEXUS_LOCAL_GRPC_PORT < <(python3 - <<'PY'
import random, socket
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
while True:
    base = random.randrange(20000, 30000)
    if all(free(base + i) for i in range(12)) and free(base + 20):
        print(base + 20, base)
        break
PY
)
export NEXUS_LOCAL_PORT NEXUS_LOCAL_GRPC_PORT
trap "${NEXUS_SMOKE_KEEP:+: }deploy/local/down.sh --purge >/dev/null || true" EXIT

started=$SECONDS
deploy/local/up.sh >"$state.up.log" 2>&1 || { cat "$state.up.log"; exit 1; }
rm -f "$state.up.log"
# shellcheck disable=SC1091
. "$state/env"
export NEXUS_URL TOKEN APPLICATION_TOKEN ADMIN_TOKEN

python3 - <<'PY'
import json, os, urllib.error, urllib.request

url = os.environ["NEXUS_URL"]
v1 = {"Authorization": f"Bearer {os.environ['TOKEN']}",
      "ApplicationToken": os.environ["APPLICATION_TOKEN"]}
admin = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}

def call(method, path, body=None, headers=v1, expect=(200,)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers=dict(headers))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    answer = json.loads(text) if text else None
    if status not in expect:
        raise SystemExit(f"{method} {path}: {status}, expected {expect}: {answer}")
    print(f"ok  {method} {path} -> {status}")
    return answer

user = call("POST", "/v1/users", {"emailAddress": "ann@example.com", "username": "ann",
                                   "givenName": "Ann", "familyName": "Lee"}, expect=(201,))
uid = user["id"]
tenant = call("POST", "/v1/idp_tenants", {"name": "smoke", "azoName": "smoke-azo",
              "fqdn": "smoke.eu.auth0.com", "loginDomain": "login.smoke.example"}, expect=(201,))
tid = tenant["id"]
link = call("PUT", f"/v1/users/{uid}/idp_tenants/{tid}",
            {"strategy": "auth0", "azoUserId": f"auth0|{uid}", "azoConnectionId": "con_1"},
            expect=(200, 201))
assert link["azoConnectionId"] == "con_1", link
synced = call("PUT", f"/v1/users/{uid}/$sync", {
    "audience": "https://api.example.com",
    "attributes": [{"key": "dept", "value": "ops"}],
    "connection": {"groups": ["admins"], "connectionId": "con_1"},
    "clientUpnKey": None})
assert synced["user"]["id"] == uid, synced
groups = [g["groupName"] for g in synced["user"]["identities"][0]["groups"]]
assert groups == ["admins"], groups
member = call("POST", "/api/acme/admin/users",
              {"email": "ann@example.com", "name": "Ann Lee", "role": "admin"},
              headers=admin, expect=(201,))
assert member["id"] == uid and member["tenantRole"] == "admin", member
upn = call("POST", f"/v1/users/{uid}/custom-upns",
           {"clientUpnKey": "crm", "customUpnValue": "ann@crm.example"}, expect=(201,))
assert upn["customUpnValue"] == "ann@crm.example", upn
for _ in range(10):
    assert call("GET", f"/v1/users/{uid}")["emailAddress"] == "ann@example.com"
PY

for replica in 1 2; do
  calls=$(grep -c 'IdentityService/' "$state/identity-$replica.log" || true)
  echo "identity-$replica served $calls calls"
  [ "$calls" -gt 0 ] || { echo "identity-$replica received no call" >&2; exit 1; }
done
echo "smoke test passed in $((SECONDS - started)) s"
