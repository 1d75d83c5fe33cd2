#!/usr/bin/env bash
# Builds cert-manager's controller, cainjector and webhook (CERT_MANAGER_VERSION in versions.env) from its published
# Go module into the shared cache, keyed by version and by the content of the mains in cert-manager/. The commands'
# own modules (cmd/controller, ...) are not served by the module proxy, so the mains here run the module's packages.
# Builds only what is missing; each binary is written atomically. Prints the directory that holds the binaries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${HOURGLASS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hourglass}
key=$(cat "$here"/cert-manager/*/main.go | sha256sum | cut -c1-12)
bin="$cache/cert-manager/$CERT_MANAGER_VERSION-$key"
mkdir -p "$bin"
# The same lock as build.sh: one build at a time per cache.
exec 9>"$cache/.build.lock"
flock 9
log() { printf 'cert-manager-build: %s\n' "$*" >&2; }

need=()
for cmd in controller cainjector webhook; do [ -x "$bin/cert-manager-$cmd" ] || need+=("$cmd"); done
if [ ${#need[@]} -gt 0 ]; then
  command -v go >/dev/null || { log "Go is required to build cert-manager (install Go 1.26 or newer)"; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "building ${need[*]} $CERT_MANAGER_VERSION (cold build: 10-20 minutes on 2 cores)"
  # Under cert-manager's module path, so that the mains may import its internal packages.
  printf 'module github.com/cert-manager/cert-manager/hourglass-local\n\ngo 1.26.0\n' >"$work/go.mod"
  cp -r "$here"/cert-manager/* "$work/"
  (cd "$work" && go get "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" >&2)
  for cmd in "${need[@]}"; do
    log "go build $cmd"
    (cd "$work" && CGO_ENABLED=0 nice -n 10 go build -mod=mod -trimpath -ldflags "-s -w \
      -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
      -o "$bin/cert-manager-$cmd.tmp.$$" "./$cmd" >&2)
    mv "$bin/cert-manager-$cmd.tmp.$$" "$bin/cert-manager-$cmd"
  done
fi
echo "$bin"
