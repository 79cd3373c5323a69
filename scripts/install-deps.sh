#!/usr/bin/env bash
# Installs the Debian 12 packages moesim needs, if any is missing (run as root).
set -euo pipefail
packages=(cmake make g++ clang libclang-rt-14-dev pkg-config libsimgrid-dev libspdlog-dev catch2 libyaml-cpp-dev
          nlohmann-json3-dev libcli11-dev libboost-graph-dev graphviz time libsqlite3-dev gnuplot-nox
          slurm-wlm munge universal-ctags python3 librapidcheck-dev ccache python3-torch)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
