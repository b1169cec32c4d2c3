#!/usr/bin/env bash
# make demo: a local Kubernetes API server and AWS emulator, the CRDs, the controller, and the
# Paperwurks dev buckets from SYSTEMS.md, watched until Ready. Leaves everything running for a
# look around and says how to stop it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir="$root/.localenv"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Starting etcd, kube-apiserver and moto (the first run builds them from pinned Go modules: a few minutes)"
scripts/localenv.sh up --dir "$dir"
# shellcheck source=/dev/null
. "$dir/env"

say "Building the controller"
cargo build -q -p stackwright
bin="$root/target/debug/stackwright"

say "Installing the CRDs"
"$bin" crds | kubectl apply --server-side -f - >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null
kubectl get crd -o custom-columns=CRD:.metadata.name,SHORT:.spec.names.shortNames

say "Running the controller (log: $dir/controller.log)"
if [ -f "$dir/pids/controller.pid" ] && kill -0 "$(cat "$dir/pids/controller.pid")" 2>/dev/null; then
  kill "$(cat "$dir/pids/controller.pid")" 2>/dev/null || true
  sleep 1
fi
nohup "$bin" run --cluster-id demo --metrics-addr 127.0.0.1:0 --resync-interval 1m \
  >"$dir/controller.log" 2>&1 </dev/null &
echo $! >"$dir/pids/controller.pid"

say "Applying examples/paperwurks/buckets-only (the Paperwurks dev buckets)"
kubectl create namespace paperwurks-dev --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply --server-side -k examples/paperwurks/buckets-only

say "kubectl get stackwright -n paperwurks-dev, until every object is Ready"
for _ in $(seq 1 60); do
  kubectl get stackwright -n paperwurks-dev
  if kubectl wait --for=condition=Ready --timeout=2s -n paperwurks-dev bucket --all >/dev/null 2>&1; then
    break
  fi
  echo
  sleep 2
done
kubectl wait --for=condition=Ready --timeout=5s -n paperwurks-dev bucket --all >/dev/null
echo
kubectl get stackwright -n paperwurks-dev

cat <<MSG

Everything is Ready. Look around:
  . .localenv/env                                   # kubectl and AWS_ENDPOINT_URL for this environment
  kubectl get stackwright -A                        # all Stackwright objects
  kubectl describe bucket -n paperwurks-dev         # conditions, resources, events
  kubectl explain bucket.spec.lifecycle             # the API documentation
  curl -s \$AWS_ENDPOINT_URL/paperwurks-dev-uploads?lifecycle   # what S3 (moto) holds
  tail -f .localenv/controller.log                  # what the controller does
Try a change (kubectl edit bucket documents -n paperwurks-dev) and watch it converge.

Stop everything:  make localenv-down
MSG
