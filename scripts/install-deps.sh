#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing the
# exporter need. Safe to run again; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl zlib1g-dev libcrypt-dev
  prometheus-cpp-dev libpugixml-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus prometheus-alertmanager
  apache2-utils curl jq python3 python3-yaml procps systemd
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
# Debian's prometheus packages try to start their services; on a build
# machine without systemd that fails harmlessly, and the tests start their
# own servers on loopback.
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
