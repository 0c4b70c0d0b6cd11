#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: the release build's unit,
# integration and end-to-end tests (a real Prometheus included), the same
# suite under AddressSanitizer and UndefinedBehaviorSanitizer, and each
# libFuzzer target for a bounded time.
#
# Usage: scripts/test.sh [release|sanitize|fuzz]...   (default: all three)
# Environment: FUZZ_SECONDS (default 30) bounds each fuzz target.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$source_dir"

stages=("$@")
if [ "${#stages[@]}" -eq 0 ]; then
  stages=(release sanitize fuzz)
fi

"$source_dir/scripts/install-deps.sh"

jobs=$(nproc)
passed=0
failed=0

# Runs ctest in build folder $1 with the remaining arguments and adds its
# counts to the totals.
run_ctest() {
  local build_dir=$1
  shift
  local log
  log=$(mktemp)
  local status=0
  (cd "$build_dir" && ctest --output-on-failure --timeout 900 "$@") \
    2>&1 | tee "$log" || status=$?
  local summary
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' \
    "$log" | tail -n 1 || true)
  rm -f "$log"
  if [ -z "$summary" ]; then
    echo "test.sh: ctest in $build_dir printed no summary" >&2
    failed=$((failed + 1))
    return
  fi
  local failed_here total_here
  failed_here=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' \
    <<<"$summary")
  total_here=$(sed -E 's/.* tests failed out of ([0-9]+).*/\1/' <<<"$summary")
  passed=$((passed + total_here - failed_here))
  failed=$((failed + failed_here))
  if [ "$status" -ne 0 ] && [ "$failed_here" -eq 0 ]; then
    failed=$((failed + 1))
  fi
}

for stage in "${stages[@]}"; do
  case "$stage" in
    release)
      echo "== release build: every test"
      "$source_dir/scripts/build.sh" "$source_dir/build" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
      run_ctest "$source_dir/build" -j "$jobs"
      ;;
    sanitize)
      echo "== AddressSanitizer and UndefinedBehaviorSanitizer build"
      "$source_dir/scripts/build.sh" "$source_dir/build-sanitize" \
        -DCMAKE_BUILD_TYPE=Debug -DBEYONDTRUST_EXPORTER_SANITIZE=ON \
        -DBEYONDTRUST_EXPORTER_BENCHMARKS=OFF
      ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_ctest "$source_dir/build-sanitize" -j "$jobs" -LE 'e2e|soak'
      ;;
    fuzz)
      echo "== libFuzzer targets, ${FUZZ_SECONDS:-30} s each"
      CXX=clang++ "$source_dir/scripts/build.sh" "$source_dir/build-fuzz" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBEYONDTRUST_EXPORTER_FUZZ=ON \
        -DBEYONDTRUST_EXPORTER_BENCHMARKS=OFF \
        -DBEYONDTRUST_EXPORTER_FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
      run_ctest "$source_dir/build-fuzz" -j "$jobs"
      ;;
    *)
      echo "test.sh: unknown stage '$stage' (expected release, sanitize or fuzz)" >&2
      exit 2
      ;;
  esac
done

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
