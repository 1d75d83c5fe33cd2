#!/usr/bin/env bash
# Installs the Debian packages the local cluster runs on, unless they are installed already (then it returns at once):
# runc under containerd, the bridge/host-local/loopback CNI plugins, buildah for the images, nft for kube-proxy, and
# podman's Docker Engine API (with netavark and aardvark-dns for its networks) for docker mode's tests, and
# busybox-static for the guide's debug image (busybox:1.35) and the sample performer's wget.
set -euo pipefail
packages=(runc containernetworking-plugins buildah nftables podman netavark aardvark-dns busybox-static)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "node-packages: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
