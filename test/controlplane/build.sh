#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kube-controller-manager, kubectl, etcd) from their published
# Go modules with the machine's Go toolchain, into a cache keyed by version. Builds only what is missing, so a
# warm run returns at once. Prints the directory that holds the binaries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${HOURGLASS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hourglass}
bin="$cache/k8s/$KUBERNETES_VERSION"
etcd_bin="$cache/etcd/$ETCD_VERSION"
mkdir -p "$bin" "$etcd_bin"

log() { printf 'controlplane-build: %s\n' "$*" >&2; }

need_k8s=()
for cmd in kube-apiserver kube-controller-manager kubectl; do
  [ -x "$bin/$cmd" ] || need_k8s+=("$cmd")
done

# Temporary build directories go whether the build succeeds or fails.
work="" ework=""
trap 'rm -rf ${work:+"$work"} ${ework:+"$ework"}' EXIT
if [ ${#need_k8s[@]} -gt 0 ] || [ ! -x "$etcd_bin/etcd" ]; then
  command -v go >/dev/null || { log "Go is required to build the control plane (install Go 1.26 or newer)"; exit 1; }
fi

if [ ${#need_k8s[@]} -gt 0 ]; then
  work=$(mktemp -d)
  minor=${KUBERNETES_VERSION#v1.}
  staging="v0.$minor"
  log "building ${need_k8s[*]} $KUBERNETES_VERSION (cold build: 10-20 minutes on 2 cores)"
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  {
    echo "module hourglass.local/controlplane"
    echo
    sed -n 's/^go \(.*\)/go \1/p' "$gomod" | head -1
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    # The release's go.mod points every staging module at a path inside its repository; point each at the
    # published version of the same release instead.
    sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#replace \1 => \1 '"$staging"'#p' "$gomod"
  } >"$work/go.mod"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor%%.*}"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in "${need_k8s[@]}"; do
    log "go build k8s.io/kubernetes/cmd/$cmd"
    # -mod=mod lets go build complete go.sum for the commands it compiles.
    (cd "$work" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "$ldflags" -o "$bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" >&2)
    mv "$bin/$cmd.tmp" "$bin/$cmd"
  done
fi

if [ ! -x "$etcd_bin/etcd" ]; then
  log "building etcd $ETCD_VERSION"
  ework=$(mktemp -d)
  (
    cd "$ework"
    printf 'module hourglass.local/etcd\n\ngo 1.24\n' >go.mod
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$etcd_bin/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  )
  mv "$etcd_bin/etcd.tmp" "$etcd_bin/etcd"
fi

echo "$bin"
