#!/usr/bin/env bash
# Installs what Atrium's demo and tests need on a Debian-based machine and is
# safe to run again: Debian's nginx with the modules the product uses
# (hack/packages.txt), iproute2 for the emulated pods' network namespaces, and
# the control-plane binaries built from Go modules (hack/build-tools.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "atrium setup: must run as root (apt-get, network namespaces)" >&2
  exit 1
fi

mapfile -t pkgs < <(grep -v '^#' "$root/hack/packages.txt" | sed '/^$/d')
pkgs+=(iproute2 openssl curl ca-certificates procps)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "atrium setup: installing ${missing[*]}" >&2
  # Debian's nginx package starts a system nginx on :80 when installed; Atrium
  # runs its own nginx, so keep the package's service from starting.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; own_policy=1
  fi
  trap '[[ $own_policy == 1 ]] && rm -f "$policy"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash "$root/hack/build-tools.sh"
