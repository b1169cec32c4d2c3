#!/usr/bin/env bash
# Builds promtool (Prometheus's rule checker and rule unit-test runner) from Go modules at the
# version pinned in versions.env, into a cache directory outside the repository, keyed by version.
# Reuses an earlier build. Prints the directory holding the binary.
#
# Prometheus publishes its Go module as github.com/prometheus/prometheus v0.<major*100+minor>.<patch>
# (3.5.0 is v0.305.0). Its own replace and exclude directives do not apply to a module that
# requires it, so they are copied over, read from the pinned go.mod itself. The service-discovery
# plugins (AWS, Azure, GCE, Kubernetes, ...) are left out with Prometheus's own remove_all_sd build
# tag: checking and unit-testing rules needs none of them, and the build is a fraction of the size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=/dev/null
. "$root/versions.env"

cache=${STACKWRIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackwright}
bin="$cache/envtest/prometheus-$PROMETHEUS_VERSION/bin"
if [ -x "$bin/promtool" ]; then
  echo "$bin"
  exit 0
fi

IFS=. read -r major minor patch <<<"$PROMETHEUS_VERSION"
[ "$major" -ge 3 ] 2>/dev/null || { echo "promtool: PROMETHEUS_VERSION must be 3.x or later, got $PROMETHEUS_VERSION" >&2; exit 1; }
module_version="v0.$((major * 100 + minor)).$patch"

command -v go >/dev/null || { echo "promtool: Go is needed to build promtool" >&2; exit 1; }
work="$cache/envtest/build-prometheus-$PROMETHEUS_VERSION"
rm -rf "$work" && mkdir -p "$work" "$bin.tmp"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

log() { echo "promtool: $*" >&2; }
log "building promtool $PROMETHEUS_VERSION (once; cached in $bin)"

cd "$work"
go mod init stackwright.local/envtest-promtool >/dev/null 2>&1
pdir=$(go mod download -json "github.com/prometheus/prometheus@$module_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
edits=(-require="github.com/prometheus/prometheus@$module_version")
# One-line directives (`replace a => b v`) and the entries of `exclude ( ... )` blocks.
while read -r from to version; do
  edits+=(-replace="$from=$to@$version")
done < <(sed -n 's#^replace[[:space:]]\{1,\}\([^ ]*\)[[:space:]]*=>[[:space:]]*\([^ ]*\)[[:space:]]\{1,\}\(v[^ ]*\)$#\1 \2 \3#p' "$pdir/go.mod")
while read -r path version; do
  edits+=(-exclude="$path@$version")
done < <(sed -n '/^exclude (/,/^)/{s#^[[:space:]]\{1,\}\([^ ]*\)[[:space:]]\{1,\}\(v[^ ]*\)$#\1 \2#p}' "$pdir/go.mod")
go mod edit "${edits[@]}"
go build -trimpath -tags remove_all_sd \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
  -o "$bin.tmp/promtool" github.com/prometheus/prometheus/cmd/promtool

rm -rf "$bin" && mv "$bin.tmp" "$bin" && rm -rf "$work"
log "built into $bin"
echo "$bin"
