#!/usr/bin/env bash
# A real local test environment for Stackwright: etcd + kube-apiserver (built by
# tests/envtest/build.sh) + the moto AWS emulator, each on a free 127.0.0.1 port.
#
# Owns (and only touches):
#   - the cache root ${STACKWRIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackwright}:
#     envtest/... (via build.sh and build-promtool.sh) and moto-$MOTO_VERSION/venv (moto plus
#     tests/emulator/requirements.txt; its marker file .complete records what was installed)
#   - one state directory per environment (default <repo>/.localenv):
#     etcd/ (data, removed by down), certs/, logs/*.log (kept by down), pids/*.pid,
#     sa.key, sa.pub, tokens.csv, kubeconfig and env (the last three removed by down).
#   - the processes recorded in that directory's pids/ (never anything else).
#
# Usage:
#   scripts/localenv.sh install
#   scripts/localenv.sh install-venv
#   scripts/localenv.sh up     [--dir DIR] [--watch-pid PID]
#   scripts/localenv.sh down   [--dir DIR]
#   scripts/localenv.sh status [--dir DIR]
# After `up`, `. DIR/env` exports KUBECONFIG, AWS_ENDPOINT_URL, AWS credentials/region,
# STACKWRIGHT_KUBECTL and a PATH with the built kubectl first. `up` prints nothing on stdout.
# `install-venv` installs only the moto venv (what the emulator's own tests need) and prints its path.
# With --watch-pid, a detached watcher runs `down` as soon as PID is gone (even if SIGKILLed).
# `up` on a DIR whose environment runs already just says so (and does not add a watcher).
# `status` exits 0 when all runs, 3 when not. STACKWRIGHT_LOCALENV_TIMEOUT (s, default 90)
# bounds the start.
# Versions come from versions.env only.
set -euo pipefail

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
root=$(cd "$(dirname "$self")/.." && pwd)
# shellcheck source=/dev/null
. "$root/versions.env"

cache=${STACKWRIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackwright}
venv="$cache/moto-$MOTO_VERSION/venv"
requirements="$root/tests/emulator/requirements.txt"
timeout_s=${STACKWRIGHT_LOCALENV_TIMEOUT:-90}
components=(etcd kube-apiserver moto)

log() { echo "localenv: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n 's/^#   \(scripts\/localenv.sh.*\)/  \1/p' "$self" >&2
  exit 2
}

# ---------------------------------------------------------------- process helpers (Linux /proc
# where present; elsewhere falls back to kill -0)

# Field 22 of /proc/PID/stat (start time in clock ticks since boot): with the pid, identifies a
# process even if the pid is later reused.
proc_start() {
  local stat f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return 0; }
  read -ra f <<<"${stat##*) }"
  echo "${f[19]:--}"
}

# Process group of a pid (field 5 of /proc/PID/stat), or - when unknown.
proc_pgrp() {
  local stat f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return 0; }
  read -ra f <<<"${stat##*) }"
  echo "${f[2]:--}"
}

# Alive and not a zombie (a killed child of a non-reaping init would otherwise look alive).
alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if stat=$(cat "/proc/$pid/stat" 2>/dev/null); then
    stat=${stat##*) }
    [ "${stat%% *}" != Z ] || return 1
  fi
  return 0
}

# The pid recorded for NAME in $pids, if that process is still the one we started; else fails.
our_pid() {
  local name=$1 pid start
  pid=$(cat "$pids/$name.pid" 2>/dev/null) || return 1
  alive "$pid" || return 1
  start=$(cat "$pids/$name.start" 2>/dev/null || echo -)
  if [ "$start" != - ] && [ "$(proc_start "$pid")" != "$start" ]; then
    return 1
  fi
  echo "$pid"
}

# Loopback ports that are free now, distinct from each other.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

set_dir() {
  dir=${1:-$root/.localenv}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  pids="$dir/pids"
  logs="$dir/logs"
}

# ---------------------------------------------------------------- install

# Runs "$@" holding an exclusive lock on FILE (released even if we are killed), waiting at most
# 30 minutes for it: parallel test binaries may all call install on a cold cache.
with_lock() {
  local file=$1; shift
  mkdir -p "$(dirname "$file")"
  python3 - "$file" "$@" <<'EOF'
import fcntl, subprocess, sys, time
f = open(sys.argv[1], "a")
deadline = time.monotonic() + 1800
told = False
while True:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except BlockingIOError:
        if time.monotonic() > deadline:
            sys.exit("localenv: error: timed out waiting for the install lock " + sys.argv[1])
        if not told:
            print("localenv: waiting for another install to finish", file=sys.stderr)
            told = True
        time.sleep(0.5)
sys.exit(subprocess.call(sys.argv[2:]))
EOF
}

# Fast path, without the lock: everything is there. (The bin dirs are build.sh's and
# build-promtool.sh's, checked the same way; the scripts are then only asked for them, which they
# answer at once.)
installed() {
  local b="$cache/envtest/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION/bin"
  [ -x "$b/kube-apiserver" ] && [ -x "$b/etcd" ] && [ -x "$b/kubectl" ] || return 1
  [ -x "$cache/envtest/prometheus-$PROMETHEUS_VERSION/bin/promtool" ] || return 1
  venv_installed || return 1
  envtest_bin=$("$root/tests/envtest/build.sh") || return 1
  promtool_bin=$("$root/tests/envtest/build-promtool.sh") || return 1
}

install_locked() {
  envtest_bin=$("$root/tests/envtest/build.sh") || die "building the envtest binaries failed (tests/envtest/build.sh)"
  # promtool checks and unit-tests the alerting rules under deploy/prometheus (the test `deploy`).
  "$root/tests/envtest/build-promtool.sh" >/dev/null || die "building promtool failed (tests/envtest/build-promtool.sh)"
  with_lock "$cache/.localenv-venv.lock" "$self" _install_venv_locked || die "installing the moto venv failed"
}

# The moto venv: moto[server]==$MOTO_VERSION plus tests/emulator/requirements.txt. Its .complete
# marker holds venv_stamp; a venv made for other versions (or before requirements.txt) is brought
# up to date in place by the next install.
venv_stamp() {
  local sum
  sum=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' \
    "$requirements") || return 1
  echo "moto[server]==$MOTO_VERSION requirements.txt:$sum"
}

venv_installed() {
  [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/pytest" ] || return 1
  [ "$(cat "$venv/.complete" 2>/dev/null)" = "$(venv_stamp)" ]
}

install_venv_locked() {
  venv_installed && return 0
  local stamp
  stamp=$(venv_stamp) || die "cannot read $requirements"
  if [ ! -x "$venv/bin/python" ]; then
    # Venvs are not relocatable, so build in place; .complete is written last.
    log "creating the moto $MOTO_VERSION venv in $venv (once)"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  else
    log "updating the moto venv in $venv to: $stamp"
  fi
  rm -f "$venv/.complete"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" -r "$requirements" \
    || die "pip install moto[server]==$MOTO_VERSION -r tests/emulator/requirements.txt failed"
  [ -x "$venv/bin/moto_server" ] || die "moto_server missing from $venv after install"
  [ -x "$venv/bin/pytest" ] || die "pytest missing from $venv after install"
  echo "$stamp" >"$venv/.complete"
}

cmd_install_venv() {
  if ! venv_installed 2>/dev/null; then
    with_lock "$cache/.localenv-venv.lock" "$self" _install_venv_locked || die "installing the moto venv failed"
    venv_installed || die "install did not produce the moto venv"
  fi
  echo "$venv"
}

cmd_install() {
  if installed 2>/dev/null; then
    return 0
  fi
  with_lock "$cache/.localenv-install.lock" "$self" _install_locked \
    || die "install failed"
  installed || die "install did not produce the envtest binaries, promtool and the moto venv"
  log "envtest binaries: $envtest_bin"
  log "promtool:         $promtool_bin"
  log "moto venv:        $venv"
}

# ---------------------------------------------------------------- up

declare -A log_off=()
ports_etcd_client='' ports_etcd_peer='' port_api='' port_moto='' token=''

# Starts "$@" detached (own session, stdio on files) as component NAME; the process records its
# own pid before exec'ing, so the pid is right whatever setsid does.
launch() {
  local name=$1; shift
  local pidf="$pids/$name.pid" logf="$logs/$name.log" i
  rm -f "$pidf" "$pids/$name.start"
  printf -- '--- localenv %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logf"
  log_off[$name]=$(stat -c %s "$logf")
  local detach=()
  command -v setsid >/dev/null && detach=(setsid)
  # shellcheck disable=SC2016 # expanded by the inner bash
  "${detach[@]}" bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidf" "$@" \
    </dev/null >>"$logf" 2>&1 &
  for i in $(seq 100); do
    [ -s "$pidf" ] && break
    sleep 0.05
  done
  [ -s "$pidf" ] || die "$name did not start (see $logf)"
  proc_start "$(cat "$pidf")" >"$pids/$name.start"
}

launch_etcd() {
  read -r ports_etcd_client ports_etcd_peer < <(free_ports 2) && [ -n "$ports_etcd_peer" ] \
    || die "could not pick free ports (python3)"
  rm -rf "$dir/etcd"
  launch etcd "$envtest_bin/etcd" --name localenv --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$ports_etcd_client" \
    --advertise-client-urls "http://127.0.0.1:$ports_etcd_client" \
    --listen-peer-urls "http://127.0.0.1:$ports_etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ports_etcd_peer" \
    --initial-cluster "localenv=http://127.0.0.1:$ports_etcd_peer" \
    --unsafe-no-fsync
}
ready_etcd() {
  curl -fsS --max-time 2 "http://127.0.0.1:$ports_etcd_client/health" 2>/dev/null | grep -q '"health":"true"'
}

launch_kube-apiserver() {
  read -r port_api < <(free_ports 1) && [ -n "$port_api" ] || die "could not pick a free port (python3)"
  launch kube-apiserver "$envtest_bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ports_etcd_client" \
    --cert-dir "$dir/certs" \
    --secure-port "$port_api" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/sa.pub" \
    --service-account-signing-key-file "$dir/sa.key" \
    --token-auth-file "$dir/tokens.csv" \
    --authorization-mode RBAC \
    --disable-admission-plugins ServiceAccount \
    --allow-privileged=true \
    --endpoint-reconciler-type none
}
ready_kube-apiserver() {
  local auth=(-H "Authorization: Bearer $token")
  [ "$(curl -ksS --max-time 3 "${auth[@]}" "https://127.0.0.1:$port_api/readyz" 2>/dev/null)" = ok ] || return 1
  # readyz can be ok a moment before the bootstrap controller has created "default".
  curl -kfsS --max-time 3 -o /dev/null "${auth[@]}" "https://127.0.0.1:$port_api/api/v1/namespaces/default" 2>/dev/null
}

launch_moto() {
  read -r port_moto < <(free_ports 1) && [ -n "$port_moto" ] || die "could not pick a free port (python3)"
  # tests/emulator: moto plus the project's faithful extensions (see tests/emulator/README.md).
  PYTHONPATH="$root/tests/emulator" launch moto "$venv/bin/python" -m stackwright_emulator -H 127.0.0.1 -p "$port_moto"
}
ready_moto() {
  local code
  code=$(curl -sS --max-time 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_moto/moto-api/" 2>/dev/null) || return 1
  [ "$code" -ge 200 ] && [ "$code" -lt 500 ]
}

# 0 when NAME is ready, 2 when its process died, 1 at the deadline.
wait_ready() {
  local name=$1
  while :; do
    "ready_$name" && return 0
    our_pid "$name" >/dev/null || return 2
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Waits for NAME; relaunches it on new ports (at most twice) if it lost a race for its port.
await() {
  local name=$1 attempt=1 rc
  while :; do
    rc=0
    wait_ready "$name" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 2 ] && [ "$attempt" -lt 3 ] && [ "$SECONDS" -lt "$deadline" ] \
      && tail -c "+$((${log_off[$name]} + 1))" "$logs/$name.log" | grep -qi 'address already in use'; then
      log "$name: its port was taken meanwhile; retrying on another"
      attempt=$((attempt + 1))
      "launch_$name"
      continue
    fi
    if [ "$rc" -eq 2 ]; then
      log "error: $name exited during startup; last lines of $logs/$name.log:"
    else
      log "error: $name not ready after ${timeout_s}s; last lines of $logs/$name.log:"
    fi
    tail -n 30 "$logs/$name.log" | sed 's/^/    /' >&2
    exit 1
  done
}

write_atomically() { # FILE; content on stdin
  cat >"$1.tmp" && mv -f "$1.tmp" "$1"
}

cmd_up() {
  local watch_pid=''
  set_dir "${opt_dir:-}"
  watch_pid=${opt_watch_pid:-}
  if [ -n "$watch_pid" ] && ! [[ $watch_pid =~ ^[0-9]+$ ]]; then
    die "--watch-pid needs a pid, got '$watch_pid'"
  fi

  local running=0 name
  for name in "${components[@]}"; do
    if our_pid "$name" >/dev/null; then running=$((running + 1)); fi
  done
  if [ "$running" -eq "${#components[@]}" ] && [ -s "$dir/env" ]; then
    log "already running in $dir (use: . $dir/env; stop: $self down --dir $dir)"
    return 0
  fi
  if [ "$running" -gt 0 ] || our_pid watcher >/dev/null; then
    log "a partial environment is left in $dir; stopping it first"
    do_down
  fi

  cmd_install
  local t0=$SECONDS
  deadline=$((SECONDS + timeout_s))
  mkdir -p "$pids" "$logs" "$dir/certs"
  rm -f "$dir/env" "$dir/kubeconfig"
  for name in "${components[@]}" watcher; do : >"$logs/$name.log"; done

  # Anything that goes wrong from here on takes down what was started.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then log "cleaning up after failed start"; do_down; fi' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # The watcher starts first, so that even an `up` killed midway leaves nothing running.
  if [ -n "$watch_pid" ]; then
    alive "$watch_pid" || die "--watch-pid $watch_pid: no such process"
    launch watcher bash "$self" _watch "$dir" "$watch_pid" "$(proc_start "$watch_pid")"
  fi

  token=$(openssl rand -hex 16)
  (umask 077 && printf '%s,admin,admin,system:masters\n' "$token" | write_atomically "$dir/tokens.csv")
  if [ ! -s "$dir/sa.key" ] || [ ! -s "$dir/sa.pub" ]; then
    (umask 077 && openssl genrsa -out "$dir/sa.key.tmp" 2048 2>/dev/null && mv "$dir/sa.key.tmp" "$dir/sa.key")
    openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  fi

  log "starting in $dir"
  launch_moto                 # slowest to import; comes up while etcd and the apiserver do
  launch_etcd
  await etcd
  launch_kube-apiserver
  await kube-apiserver
  await moto

  local server="https://127.0.0.1:$port_api"
  (umask 077 && write_atomically "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stackwright-local
  cluster:
    server: $server
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $token
contexts:
- name: stackwright-local
  context:
    cluster: stackwright-local
    user: admin
    namespace: default
current-context: stackwright-local
EOF
  )
  {
    echo "# Written by scripts/localenv.sh up; source it: . $dir/env"
    printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
    printf 'export AWS_ENDPOINT_URL=%q\n' "http://127.0.0.1:$port_moto"
    echo 'export AWS_REGION=us-east-1'
    echo 'export AWS_DEFAULT_REGION=us-east-1'
    echo 'export AWS_ACCESS_KEY_ID=testing'
    echo 'export AWS_SECRET_ACCESS_KEY=testing'
    printf 'export STACKWRIGHT_KUBECTL=%q\n' "$envtest_bin/kubectl"
    printf 'export STACKWRIGHT_LOCALENV_DIR=%q\n' "$dir"
    printf 'export STACKWRIGHT_KUBE_SERVER=%q\n' "$server"
    printf 'export STACKWRIGHT_ETCD_ENDPOINT=%q\n' "http://127.0.0.1:$ports_etcd_client"
    # shellcheck disable=SC2016 # $PATH is expanded when the file is sourced
    printf 'export PATH=%q:"$PATH"\n' "$envtest_bin"
  } | write_atomically "$dir/env"

  trap - EXIT INT TERM
  log "ready in $((SECONDS - t0))s: kube-apiserver $server, moto http://127.0.0.1:$port_moto, etcd http://127.0.0.1:$ports_etcd_client"
  log "use it with: . ${dir#"$PWD"/}/env"
}

# ---------------------------------------------------------------- down / status

# TERMs the named components (process groups), waits up to $1 tenths of a second, then KILLs.
stop() {
  local tenths=$1 name pid left=() still i; shift
  for name in "$@"; do
    if pid=$(our_pid "$name") && [ "$pid" != "$$" ]; then
      # Each was started as its own session/group leader: signal the group when so.
      if [ "$(proc_pgrp "$pid")" = "$pid" ]; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      else
        kill -TERM "$pid" 2>/dev/null || true
      fi
      left+=("$name:$pid")
    fi
  done
  for ((i = 0; i < tenths && ${#left[@]} > 0; i++)); do
    sleep 0.1
    still=()
    for name in "${left[@]}"; do
      if alive "${name#*:}"; then still+=("$name"); fi
    done
    left=("${still[@]}")
  done
  for name in "${left[@]}"; do
    log "${name%%:*} (pid ${name#*:}) did not stop within $((tenths / 10))s; killing it"
    kill -KILL -- "-${name#*:}" 2>/dev/null || kill -KILL "${name#*:}" 2>/dev/null || true
  done
  for name in "$@"; do rm -f "$pids/$name.pid" "$pids/$name.start"; done
}

do_down() {
  if [ -d "$pids" ]; then
    # The watcher first, so it does not start a second `down`; etcd last, as the apiserver
    # stalls its shutdown while etcd is gone.
    stop 100 watcher controller kube-apiserver moto   # controller: the one `make demo` runs
    stop 100 etcd
    rm -f "$pids"/*.tmp
  fi
  rm -rf "$dir/etcd"
  rm -f "$dir/env" "$dir/kubeconfig" "$dir/tokens.csv"
}

cmd_down() {
  set_dir "${opt_dir:-}"
  do_down
  log "stopped $dir (logs kept in $logs)"
}

cmd_status() {
  set_dir "${opt_dir:-}"
  local name pid n=0
  for name in "${components[@]}" watcher; do
    [ -f "$pids/$name.pid" ] || { [ "$name" = watcher ] && continue; }
    if pid=$(our_pid "$name"); then
      [ "$name" = watcher ] || n=$((n + 1))
      printf '%-15s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-15s not running\n' "$name"
    fi
  done
  if [ "$n" -eq "${#components[@]}" ] && [ -s "$dir/env" ]; then
    grep -E '^export (KUBECONFIG|AWS_ENDPOINT_URL|STACKWRIGHT_KUBE_SERVER)=' "$dir/env" | sed 's/^export /  /'
    return 0
  fi
  echo "environment in $dir: not running"
  return 3
}

# Internal: watches PID (started at START) and takes the environment down when it is gone.
cmd_watch() {
  set_dir "$1"
  local wpid=$2 wstart=$3
  log "watching pid $wpid"
  while alive "$wpid" && { [ "$wstart" = - ] || [ "$(proc_start "$wpid")" = "$wstart" ]; }; do
    # Someone else took the environment down: nothing left to do.
    [ "$(cat "$pids/watcher.pid" 2>/dev/null)" = "$$" ] || exit 0
    sleep 1
  done
  log "pid $wpid is gone; taking the environment down"
  rm -f "$pids/watcher.pid" "$pids/watcher.start"
  exec bash "$self" down --dir "$dir"
}

# ---------------------------------------------------------------- main

cmd=${1:-}
[ $# -gt 0 ] && shift
opt_dir='' opt_watch_pid=''
case $cmd in
  _install_locked) install_locked; exit 0 ;;
  _install_venv_locked) install_venv_locked; exit 0 ;;
  _watch) cmd_watch "$@"; exit 0 ;;
esac
while [ $# -gt 0 ]; do
  case $1 in
    --dir) [ $# -ge 2 ] || usage; opt_dir=$2; shift 2 ;;
    --dir=*) opt_dir=${1#*=}; shift ;;
    --watch-pid) [ $# -ge 2 ] || usage; [ "$cmd" = up ] || usage; opt_watch_pid=$2; shift 2 ;;
    --watch-pid=*) [ "$cmd" = up ] || usage; opt_watch_pid=${1#*=}; shift ;;
    *) usage ;;
  esac
done
case $cmd in
  install) [ -z "$opt_dir" ] || usage; cmd_install ;;
  install-venv) [ -z "$opt_dir" ] || usage; cmd_install_venv ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) usage ;;
esac
