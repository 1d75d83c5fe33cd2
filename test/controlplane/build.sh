#!/usr/bin/env bash
# Builds the local cluster from published Go modules with the machine's Go toolchain, into a cache keyed by
# version: the control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd) and the node
# (kubelet, kube-proxy, containerd with its runc shim and ctr, CoreDNS, the sandbox's pause). Builds only what is
# missing, so a warm run returns at once. Prints the directory that holds the Kubernetes binaries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${HOURGLASS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hourglass}
bin="$cache/k8s/$KUBERNETES_VERSION"
etcd_bin="$cache/etcd/$ETCD_VERSION"
containerd_bin="$cache/containerd/$CONTAINERD_VERSION"
coredns_bin="$cache/coredns/$COREDNS_VERSION"
# The pause binary is this repository's own source: keyed by its content.
pause_bin="$cache/pause/$(sha256sum "$here/pause/main.go" | cut -c1-16)"
mkdir -p "$bin" "$etcd_bin" "$containerd_bin" "$coredns_bin" "$pause_bin"
# One build at a time per cache: two checkouts (or a test and make) building at once would write the same files.
exec 9>"$cache/.build.lock"
flock 9

log() { printf 'controlplane-build: %s\n' "$*" >&2; }

missing() { # DIR NAME... -> the names not yet built in DIR
  local dir=$1 name
  shift
  for name in "$@"; do [ -x "$dir/$name" ] || printf '%s\n' "$name"; done
}
mapfile -t need_k8s < <(missing "$bin" kube-apiserver kube-controller-manager kubectl kube-scheduler kubelet kube-proxy)
mapfile -t need_containerd < <(missing "$containerd_bin" containerd containerd-shim-runc-v2 ctr)

# Temporary build directories go whether the build succeeds or fails.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ ${#need_k8s[@]} -gt 0 ] || [ ${#need_containerd[@]} -gt 0 ] || [ ! -x "$etcd_bin/etcd" ] ||
  [ ! -x "$coredns_bin/coredns" ] || [ ! -x "$pause_bin/pause" ]; then
  command -v go >/dev/null || { log "Go is required to build the local cluster (install Go 1.26 or newer)"; exit 1; }
fi

# A throwaway module that requires MODULE@VERSION, so that `go build` of its commands uses the versions the
# module itself pins (each in its own module: mixing them would move shared dependency versions).
consumer() { # DIR MODULE VERSION
  mkdir -p "$1"
  printf 'module hourglass.local/build\n\ngo 1.24\n' >"$1/go.mod"
  (cd "$1" && go get "$2@$3" >&2)
}

if [ ${#need_k8s[@]} -gt 0 ]; then
  minor=${KUBERNETES_VERSION#v1.}
  staging="v0.$minor"
  log "building ${need_k8s[*]} $KUBERNETES_VERSION (cold build: 10-20 minutes on 2 cores)"
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  mkdir -p "$work/k8s"
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
  } >"$work/k8s/go.mod"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor%%.*}"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in "${need_k8s[@]}"; do
    log "go build k8s.io/kubernetes/cmd/$cmd"
    # -mod=mod lets go build complete go.sum for the commands it compiles.
    (cd "$work/k8s" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "$ldflags" -o "$bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" >&2)
    mv "$bin/$cmd.tmp" "$bin/$cmd"
  done
fi

if [ ! -x "$etcd_bin/etcd" ]; then
  log "building etcd $ETCD_VERSION"
  consumer "$work/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  # The root package of the etcd server module is etcd's main.
  (cd "$work/etcd" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$etcd_bin/etcd.tmp" go.etcd.io/etcd/server/v3 >&2)
  mv "$etcd_bin/etcd.tmp" "$etcd_bin/etcd"
fi

if [ ${#need_containerd[@]} -gt 0 ]; then
  log "building ${need_containerd[*]} $CONTAINERD_VERSION"
  consumer "$work/containerd" github.com/containerd/containerd/v2 "$CONTAINERD_VERSION"
  for cmd in "${need_containerd[@]}"; do
    # Without cgo the btrfs and other cgo-only plugins drop out; the node uses overlayfs.
    (cd "$work/containerd" && CGO_ENABLED=0 go build -mod=mod -trimpath \
      -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
      -o "$containerd_bin/$cmd.tmp" "github.com/containerd/containerd/v2/cmd/$cmd" >&2)
    mv "$containerd_bin/$cmd.tmp" "$containerd_bin/$cmd"
  done
fi

if [ ! -x "$coredns_bin/coredns" ]; then
  log "building coredns $COREDNS_VERSION"
  consumer "$work/coredns" github.com/coredns/coredns "$COREDNS_VERSION"
  cp "$here/coredns/main.go" "$work/coredns/main.go"
  (cd "$work/coredns" && CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$coredns_bin/coredns.tmp" . >&2)
  mv "$coredns_bin/coredns.tmp" "$coredns_bin/coredns"
fi

if [ ! -x "$pause_bin/pause" ]; then
  log "building pause"
  mkdir -p "$work/pause"
  printf 'module hourglass.local/pause\n\ngo 1.24\n' >"$work/pause/go.mod"
  cp "$here/pause/main.go" "$work/pause/main.go"
  (cd "$work/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$pause_bin/pause.tmp" . >&2)
  mv "$pause_bin/pause.tmp" "$pause_bin/pause"
fi

# Helm, which the chart's tests run (charts/hourglass): its command from its own module, stamped with its version
# as its release build does. Written under a name of its own, then renamed, so a concurrent build never sees half
# a binary.
helm_bin="$cache/helm/$HELM_VERSION"
if [ ! -x "$helm_bin/helm" ]; then
  command -v go >/dev/null || { log "Go is required to build helm (install Go 1.26 or newer)"; exit 1; }
  log "building helm $HELM_VERSION"
  helm_module="helm.sh/helm/${HELM_VERSION%%.*}"
  mkdir -p "$helm_bin"
  consumer "$work/helm" "$helm_module" "$HELM_VERSION"
  (cd "$work/helm" && CGO_ENABLED=0 nice -n 10 go build -mod=mod -trimpath \
    -ldflags "-s -w -X $helm_module/internal/version.version=$HELM_VERSION -X $helm_module/internal/version.gitTreeState=clean" \
    -o "$helm_bin/helm.$$.tmp" "$helm_module/cmd/helm" >&2)
  mv "$helm_bin/helm.$$.tmp" "$helm_bin/helm"
fi

echo "$bin"
