#!/usr/bin/env bash
# Regenerates what the book shows after an intended change to a chapter: each chapter's output
# (Chapters/NN-Name/expected.txt), its figures (book/figures/), then the pages (swift run weave).
# The chapter tests and `swift run weave --check` fail until this has been run and committed.
#   Tools/regenerate-book.sh            every chapter
#   Tools/regenerate-book.sh 05 09      only these chapters (then weave)
set -euo pipefail
cd "$(dirname "$0")/.."
chapters=(
  "00-Tensors ch00-tensors" "01-PatchEmbedding ch01-patch-embedding" "02-Attention ch02-attention" "03-ViT ch03-vit"
  "04-DINOHead ch04-dino-head" "05-Centering ch05-centering" "06-Loss ch06-loss" "07-Teacher ch07-teacher"
  "08-Schedules ch08-schedules" "09-Trainer ch09-trainer" "10-DataParallel ch10-data-parallel"
)
swift build
for entry in "${chapters[@]}"; do
  read -r folder product <<<"$entry"
  if [ $# -gt 0 ] && [[ ! " $* " == *" ${folder%%-*} "* ]]; then continue; fi
  rm -f book/figures/"${folder%%-*}"-*.svg  # a figure the chapter no longer draws goes too
  if [ "$product" = ch09-trainer ]; then
    swift run -q "$product" walkthrough --figures book/figures >"Chapters/$folder/expected.txt"
  else
    swift run -q "$product" --figures book/figures >"Chapters/$folder/expected.txt"
  fi
done
swift run -q weave
