#!/usr/bin/env bash
# Measures the speed and memory figures recorded in docs/benchmarks.md:
#   1. poll cost: poll_bench (parse, publish, first render of 1,000 reps),
#      timed by Google Benchmark and counted in instructions by callgrind;
#   2. scrape rate: wrk against the Release exporter, which polls one
#      simulated site of 1,000 reps, with and without Accept-Encoding: gzip;
#   3. memory: RssAnon and RssFile of that exporter, and of a second
#      exporter that polls 24 appliances on two simulated sites of 200 reps
#      every second, as tests/integration/soak_test.py does but without
#      faults.
# Every server binds 127.0.0.1 on a free port and is stopped on exit.
#
# Usage: scripts/bench.sh [BUILD_DIR]   (default: build-bench in the tree)
# Environment:
#   BENCH_REPS=1000          representatives per simulated site
#   BENCH_WRK_SECONDS=10     length of each wrk run
#   BENCH_WRK_CONNECTIONS=4  wrk connections (one wrk thread)
#   BENCH_MEMORY_REPS=200    representatives per site in the memory run
#   BENCH_MEMORY_SECONDS=60  length of the 24-appliance memory run
#   BENCH_SKIP_BUILD=1       use the binaries already in BUILD_DIR
# Needs: cmake, ninja, wrk, valgrind, curl, python3, openssl.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$source_dir/build-bench}
reps=${BENCH_REPS:-1000}
wrk_seconds=${BENCH_WRK_SECONDS:-10}
wrk_connections=${BENCH_WRK_CONNECTIONS:-4}
memory_reps=${BENCH_MEMORY_REPS:-200}
memory_seconds=${BENCH_MEMORY_SECONDS:-60}

for tool in cmake ninja wrk valgrind curl python3 openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench.sh: $tool not found; install it (on Debian 12 with apt-get)" >&2
    exit 2
  fi
done

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    >/dev/null
  cmake --build "$build_dir" -j 2 --target beyondtrust_exporter \
    beyondtrust_simulator poll_bench metrics_bench
fi
exporter_bin=$build_dir/exporter/beyondtrust_exporter
simulator_bin=$build_dir/tests/simulator/beyondtrust_simulator
bench_dir=$build_dir/tests/bench

work=$(mktemp -d "${TMPDIR:-/tmp}/beyondtrust-bench-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
  sed 's/^ *//')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $(grep -m1 CMAKE_BUILD_TYPE: "$build_dir/CMakeCache.txt")"

echo "== 1. poll cost: parse + publish + first render of $reps reps"
timeout 300 "$bench_dir/poll_bench" --benchmark_min_time=1 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
timeout 300 "$bench_dir/metrics_bench" --benchmark_min_time=1

# One fixed run of 10 polls under callgrind; only the code inside
# poll_then_scrape() is counted, so the setup is left out.
timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  --collect-atstart=no --toggle-collect='*poll_then_scrape*' \
  "$bench_dir/poll_bench" --benchmark_filter=BM_PollThenScrapeFixed \
  >/dev/null 2>"$work/callgrind.log"
python3 - "$work/callgrind.out" <<'EOF'
import sys
for line in open(sys.argv[1]):
    if line.startswith("totals:") or line.startswith("summary:"):
        instructions = int(line.split()[1])
        print(f"callgrind: {instructions / 10:,.0f} instructions per poll "
              f"(10 polls of the fixed run)")
        break
EOF

# Starts a simulator with $1 reps and seed $2, and sets simulator_url and
# simulator_pid. Call it outside a subshell, so that cleanup can stop it.
start_simulator() {
  local log=$work/simulator-$2.log
  "$simulator_bin" --listen 127.0.0.1:0 --cert-dir "$work/certs" \
    --client-id exporter --client-secret-file "$work/secret" --reps "$1" \
    --seed "$2" >"$log.out" 2>"$log" &
  simulator_pid=$!
  pids+=("$simulator_pid")
  simulator_url=""
  for _ in $(seq 100); do
    simulator_url=$(grep -o 'https://[^ ]*' "$log.out" || true)
    [ -n "$simulator_url" ] && return
    sleep 0.1
  done
  echo "bench.sh: the simulator printed no URL" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Prints the config entry of appliance $1 at URL $2, polled every $3
# (default 30s).
appliance_entry() {
  cat <<EOF
  - name: $1
    url: $2
    client_id: exporter
    client_secret_file: $work/secret
    poll_interval: ${3:-30s}
    tls_config:
      ca_file: $work/certs/ca.pem
EOF
}

# Starts the exporter on config $1 and port $2; sets exporter_pid.
start_exporter() {
  "$exporter_bin" --config.file="$1" --web.listen-address="127.0.0.1:$2" \
    --log.level=warn 2>"$work/exporter-$2.log" &
  exporter_pid=$!
  pids+=("$exporter_pid")
}

# Waits until every appliance on port $1 reports beyondtrust_up 1.
wait_until_up() {
  for _ in $(seq 300); do
    local metrics
    metrics=$(curl -s "http://127.0.0.1:$1/metrics" || true)
    if grep -q '^beyondtrust_up' <<<"$metrics" &&
      ! grep -q '^beyondtrust_up{.*} 0' <<<"$metrics"; then
      return
    fi
    sleep 0.1
  done
  echo "bench.sh: the exporter on port $1 never reported up" >&2
  exit 1
}

# Prints RssAnon and RssFile of process $1 in KiB.
rss() {
  awk '/^RssAnon|^RssFile/ { printf "%s %s kB  ", $1, $2 } END { print "" }' \
    "/proc/$1/status"
}

# Prints the user plus system CPU time of process $1 in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

sh "$source_dir/tests/simulator/make-test-certs.sh" "$work/certs" >/dev/null
printf 'bench-secret\n' >"$work/secret"

echo "== 2. scrape rate at $reps reps, one exporter thread"
start_simulator "$reps" 1
site=$simulator_url
first_simulator_pid=$simulator_pid
port=$(free_port)
{
  echo "appliances:"
  appliance_entry bench "$site"
} >"$work/one.yml"
start_exporter "$work/one.yml" "$port"
wait_until_up "$port"
echo "identity body: $(curl -s "http://127.0.0.1:$port/metrics" | wc -c) bytes"
echo "gzip body: $(curl -s -H 'Accept-Encoding: gzip' \
  "http://127.0.0.1:$port/metrics" | wc -c) bytes"
echo "exporter after the first poll: $(rss "$exporter_pid")"
ticks_per_second=$(getconf CLK_TCK)
for encoding in identity gzip; do
  headers=()
  if [ "$encoding" = gzip ]; then
    headers=(-H 'Accept-Encoding: gzip')
  fi
  before=$(cpu_ticks "$exporter_pid")
  wrk -t1 -c"$wrk_connections" -d"${wrk_seconds}s" "${headers[@]}" \
    "http://127.0.0.1:$port/metrics" | tee "$work/wrk-$encoding.txt"
  after=$(cpu_ticks "$exporter_pid")
  python3 - "$work/wrk-$encoding.txt" "$((after - before))" \
    "$ticks_per_second" "$encoding" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
cpu_seconds = int(sys.argv[2]) / int(sys.argv[3])
rate = requests / cpu_seconds if cpu_seconds else float("inf")
print(f"{sys.argv[4]}: {requests} scrapes on {cpu_seconds:.2f} s of "
      f"exporter CPU = {rate:,.0f} scrapes per CPU second")
EOF
done
echo "exporter after wrk: $(rss "$exporter_pid")"
kill "$exporter_pid"
wait "$exporter_pid" || true

echo "== 3. memory: 24 appliances on two sites of $memory_reps reps," \
  "polled every second for ${memory_seconds} s"
kill "$first_simulator_pid"
wait "$first_simulator_pid" || true
start_simulator "$memory_reps" 11
site=$simulator_url
start_simulator "$memory_reps" 12
second_site=$simulator_url
port=$(free_port)
{
  echo "appliances:"
  for n in $(seq 12); do
    appliance_entry "a-$n" "$site" 1s
    appliance_entry "b-$n" "$second_site" 1s
  done
} >"$work/many.yml"
start_exporter "$work/many.yml" "$port"
wait_until_up "$port"
end=$((SECONDS + memory_seconds))
next_sample=$SECONDS
while [ "$SECONDS" -lt "$end" ]; do
  curl -s -o /dev/null -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$port/metrics"
  if [ "$SECONDS" -ge "$next_sample" ]; then
    echo "t=$((SECONDS - end + memory_seconds))s $(rss "$exporter_pid")"
    next_sample=$((SECONDS + 10))
  fi
  sleep 0.2
done
echo "final: $(rss "$exporter_pid")"
