#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over a fresh copy of its
# seeds. Usage: run-fuzz-target.sh BINARY WORK_CORPUS SECONDS SEED...
# A SEED is a file or a folder of files; missing ones are skipped.
set -euo pipefail
binary=$1 corpus=$2 seconds=$3
shift 3
rm -rf "$corpus"
mkdir -p "$corpus"
for seed in "$@"; do
  if [ -d "$seed" ]; then
    find "$seed" -maxdepth 1 -type f -exec cp {} "$corpus"/ \;
  elif [ -f "$seed" ]; then
    cp "$seed" "$corpus"/
  fi
done
artifacts="$corpus.artifacts"
mkdir -p "$artifacts"
exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus"
