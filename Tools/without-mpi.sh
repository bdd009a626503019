#!/usr/bin/env bash
# Runs a SwiftPM command as on a machine without Open MPI: the package's MPI trait off
# (--disable-default-traits), its own scratch path, and pkg-config blind to Open MPI's ompi.pc, so that
# any target that still asks for MPI fails to build here as it would there.
#   Tools/without-mpi.sh build                     # build everything without MPI
#   Tools/without-mpi.sh test --skip DataParallel  # the tests that need no MPI
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: Tools/without-mpi.sh build|test [SWIFTPM OPTIONS]}; shift
visible=$(mktemp -d)
trap 'rm -rf "$visible"' EXIT
# Every pkg-config file the system has, except Open MPI's.
for folder in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
  [ -d "$folder" ] || continue
  for file in "$folder"/*.pc; do
    [ -e "$file" ] || continue
    case "$(basename "$file")" in ompi*.pc|mpi*.pc|orte.pc) ;; *) ln -sf "$file" "$visible/" ;; esac
  done
done
PKG_CONFIG_LIBDIR="$visible" swift "$command" --disable-default-traits --scratch-path .build-without-mpi "$@"
