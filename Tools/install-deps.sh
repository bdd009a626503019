#!/usr/bin/env bash
# Installs the system packages DINO in Swift builds against, only those missing, on Debian 12/13 and
# Ubuntu 22.04/24.04 (every name below exists on all four; checked with apt-cache show).
#   Tools/install-deps.sh            libraries: OpenBLAS, Open MPI, libpng, libjpeg, zlib, pkg-config
#   Tools/install-deps.sh --data     also the Fashion-MNIST dataset package (for training; Debian only)
#   Tools/install-deps.sh --book     also KaTeX, highlight.js and Chromium (the book's website and its browser check)
#   Tools/install-deps.sh --cross    also the aarch64 cross compiler and qemu (Tools/cross/check-aarch64.sh)
#   (the options combine: Tools/install-deps.sh --data --book)
# Chapters 00-08 need only OpenBLAS; the codecs are for chapter 09, Open MPI for chapter 10 (without it:
# swift build --disable-default-traits). On a Mac: brew install libpng jpeg-turbo open-mpi, for 09-10 only.
set -euo pipefail
packages=(pkg-config libopenblas-dev libopenmpi-dev openmpi-bin libpng-dev libjpeg-dev zlib1g-dev)
data=false book=false
for option in "$@"; do
  case "$option" in
    --data) data=true ;;
    --book) book=true; packages+=(libjs-katex libjs-highlight.js) ;;
    --cross) packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static) ;;
    *) echo "error: unknown option $option; expected --data, --book or --cross" >&2; exit 64 ;;
  esac
done
if ! command -v apt-get >/dev/null; then
  echo "error: this script uses apt-get (Debian, Ubuntu); elsewhere install OpenBLAS, Open MPI, libpng, libjpeg and zlib with the system's package manager" >&2
  exit 69
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# A name apt knows as a real package (Ubuntu's chromium is a stub, version "…snap…", that installs a snap).
available() { apt-cache show "$1" 2>/dev/null | grep '^Version:' | grep -qv snap; }
updated=false
update_once() { $updated || { $sudo apt-get update -qq; updated=true; }; }

# Chromium for the book's browser check: Debian's deb; where it is a snap (Ubuntu), say what to do.
if $book && ! installed chromium && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  update_once
  if available chromium; then packages+=(chromium); else
    echo "note: chromium is not a deb here (Ubuntu ships it as a snap): run 'sudo snap install chromium', or pass" \
         "--chromium PATH (any Chrome or Chromium) to Tools/BookSite/check_in_browser.py; the rest of --book continues" >&2
  fi
fi
# Fashion-MNIST: Debian's dataset-fashion-mnist; elsewhere the four IDX files by hand.
if $data && ! installed dataset-fashion-mnist; then
  update_once
  if available dataset-fashion-mnist; then packages+=(dataset-fashion-mnist); else
    echo "note: dataset-fashion-mnist is not packaged here (it is Debian's): download Fashion-MNIST's four files" \
         "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz," \
         "gzipped or not) into a folder and train with --data-path FOLDER" >&2
  fi
fi
missing=()
for package in "${packages[@]}"; do installed "$package" || missing+=("$package"); done
[ ${#missing[@]} -eq 0 ] && exit 0
update_once
for package in "${missing[@]}"; do
  available "$package" || { echo "error: no package $package in this system's apt sources (expected on Debian 12/13 and Ubuntu 22.04/24.04; on Ubuntu enable 'universe')" >&2; exit 69; }
done
echo "installing: ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
