#!/usr/bin/env bash
# make demo: a local Kubernetes API server and AWS emulator, the CRDs, the controller, and a whole
# system from SYSTEMS.md — AccuNode: its stack in a network it owns, its PostgreSQL database and
# its Redis cache — watched until Ready. Leaves everything running for a look around, with a
# short tour, and says how to stop it.
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

say "Applying examples/accunode (SYSTEMS.md 1: the AppStack in its own VPC, its Database and Cache)"
kubectl apply --server-side -k examples/accunode

say "kubectl get stackwright -n accunode, as it changes, until every object is Ready"
# The emulator takes its lifecycles' time (RDS and ElastiCache creating, NAT gateway pending,
# rollouts): a few minutes in all. Bounded: at most 15 minutes.
last=""
ready=false
for _ in $(seq 1 300); do
  now=$(kubectl get stackwright -n accunode 2>/dev/null || true)
  if [ "$now" != "$last" ]; then
    printf '\n%s\n' "$now"
    last=$now
  fi
  if kubectl wait --for=condition=Ready --timeout=1s -n accunode appstack,database,cache --all >/dev/null 2>&1; then
    ready=true
    break
  fi
  sleep 2
done
if [ "$ready" != true ]; then
  echo "Not Ready after 15 minutes; see kubectl describe appstack,database,cache -n accunode and $dir/controller.log" >&2
  exit 1
fi
echo
kubectl get stackwright -n accunode
url=$(kubectl get appstack accunode -n accunode -o jsonpath='{.status.url}')

say "The stack's URL: $url"

cat <<MSG

Everything is Ready. A short tour (first: . .localenv/env, for kubectl and AWS_ENDPOINT_URL):

What was created in AWS, as the stack, database and cache report it:
  kubectl get appstack accunode -n accunode -o jsonpath='{range .status.resources[*]}{.kind}{"  "}{.id}{"  "}{.state}{"\n"}{end}'
  kubectl get appstack accunode -n accunode -o jsonpath='{.status.network}'      # VPC and subnets
  kubectl get database accunode-db -n accunode -o jsonpath='{.status.endpoint}'   # where PostgreSQL listens
  kubectl get secret accunode-db-connection -n accunode -o yaml                  # host, port, user, password secret ARN
  kubectl describe appstack accunode -n accunode                                 # conditions and events
  With the AWS CLI, against the emulator: aws --endpoint-url \$AWS_ENDPOINT_URL ecs list-services --cluster <cluster>

Roll a new image and watch the rollout (Reconciling/RollingOut, then Ready on the new revision):
  kubectl patch appstack accunode -n accunode --type=json \\
    -p '[{"op":"replace","path":"/spec/services/0/image","value":"461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-def456"}]'
  kubectl get appstack accunode -n accunode -w
  kubectl get appstack accunode -n accunode -o jsonpath='{.status.services}'

Delete it (in reverse order: services, load balancer, ..., the network; the database leaves
its final snapshot):
  kubectl delete appstack,database,cache --all -n accunode --wait=false; kubectl get stackwright -n accunode -w
  (On a real cluster, kubectl delete -k examples/accunode also deletes the namespace; this local
  environment runs no namespace controller, so a deleted namespace would stay Terminating.)

  tail -f .localenv/controller.log                  # what the controller does
  kubectl explain appstack.spec.services            # the API documentation

Stop everything:  make localenv-down
MSG
