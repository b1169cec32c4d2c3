#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from Go modules at the versions pinned in versions.env,
# into a cache directory outside the repository, keyed by version. Reuses an earlier build.
#
# Kubernetes is not meant to be consumed as a library: k8s.io/kubernetes requires its staging
# modules (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and replaces them with ./staging paths. A
# module that requires it must replace each staging module with its published v0.X.Y. The list is
# read from the pinned kubernetes go.mod itself, so bumping the version needs no edit here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=/dev/null
. "$root/versions.env"

cache=${STACKWRIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackwright}
bin="$cache/envtest/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION/bin"
if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ] && [ -x "$bin/kubectl" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "envtest: Go is needed to build kube-apiserver and etcd" >&2; exit 1; }
work="$cache/envtest/build-$KUBERNETES_VERSION-$ETCD_VERSION"
rm -rf "$work" && mkdir -p "$work/kube" "$work/etcd" "$bin.tmp"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

log() { echo "envtest: $*" >&2; }
log "building kube-apiserver and kubectl $KUBERNETES_VERSION, etcd $ETCD_VERSION (once; cached in $bin)"

# --- kube-apiserver and kubectl
cd "$work/kube"
go mod init stackwright.local/envtest-kube >/dev/null 2>&1
kdir=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
staging_minor=${KUBERNETES_VERSION#1.}
edits=(-require="k8s.io/kubernetes@v$KUBERNETES_VERSION")
for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$kdir/go.mod"); do
  edits+=(-replace="$m=$m@v0.$staging_minor")
done
go mod edit "${edits[@]}"
go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitVersion=v$KUBERNETES_VERSION" \
  -o "$bin.tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl

# --- etcd (its own module: the server's main package lives at the root of go.etcd.io/etcd/server/v3)
cd "$work/etcd"
go mod init stackwright.local/envtest-etcd >/dev/null 2>&1
go mod edit -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
go build -trimpath -ldflags "-s -w" -o "$bin.tmp/etcd" go.etcd.io/etcd/server/v3

rm -rf "$bin" && mv "$bin.tmp" "$bin" && rm -rf "$work"
log "built into $bin"
echo "$bin"
