#!/usr/bin/env bash
# Installs the system packages DINO in Swift builds against (Debian/Ubuntu), only those missing.
#   Tools/install-deps.sh            libraries: OpenBLAS, Open MPI, libpng, libjpeg-turbo, zlib, pkg-config
#   Tools/install-deps.sh --data     also the Fashion-MNIST dataset package (for training)
#   Tools/install-deps.sh --book     also KaTeX, highlight.js and Chromium (the book's website and its browser check)
#   (the options combine: Tools/install-deps.sh --data --book)
set -euo pipefail
packages=(pkg-config libopenblas-dev libopenmpi-dev openmpi-bin libpng-dev libjpeg62-turbo-dev zlib1g-dev)
for option in "$@"; do
  case "$option" in
    --data) packages+=(dataset-fashion-mnist) ;;
    --book) packages+=(libjs-katex libjs-highlight.js chromium) ;;
    *) echo "error: unknown option $option; expected --data or --book" >&2; exit 64 ;;
  esac
done
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
