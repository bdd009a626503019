#!/usr/bin/env bash
# Installs the system packages DINO in Swift builds against (Debian/Ubuntu), only those missing.
#   Tools/install-deps.sh            libraries: OpenBLAS, Open MPI, libpng, libjpeg-turbo, zlib, pkg-config
#   Tools/install-deps.sh --data     also the Fashion-MNIST dataset package (for training)
set -euo pipefail
packages=(pkg-config libopenblas-dev libopenmpi-dev openmpi-bin libpng-dev libjpeg62-turbo-dev zlib1g-dev)
if [ "${1:-}" = "--data" ]; then packages+=(dataset-fashion-mnist); fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
