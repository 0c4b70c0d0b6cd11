#!/usr/bin/env bash
# Configures and builds the exporter, the simulator and the tests.
# Usage: scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
# BUILD_DIR defaults to build/ in the source tree.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$source_dir/build}
shift || true

cmake -S "$source_dir" -B "$build_dir" -G Ninja "$@"
cmake --build "$build_dir" -j "$(nproc)"
