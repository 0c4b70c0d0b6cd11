#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds the exporter and the appliance
# simulator, and runs the exporter against a simulated BeyondTrust site
# whose representatives log in, log out and take sessions over time.
# Everything listens on loopback only. Ctrl-C stops both.
#
# Environment: DEMO_PORT (default 9879) is the exporter's port,
# DEMO_SITE_PORT (default 8443) the simulated site's, DEMO_REPS (default 25)
# the number of representatives logged in at start.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$source_dir/build
port=${DEMO_PORT:-9879}
site_port=${DEMO_SITE_PORT:-8443}
reps=${DEMO_REPS:-25}

"$source_dir/scripts/install-deps.sh"
cmake -S "$source_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)" \
  --target beyondtrust_exporter beyondtrust_simulator

demo_dir=$build_dir/demo
mkdir -p "$demo_dir"
if [ ! -f "$demo_dir/certs/ca.pem" ]; then
  sh "$source_dir/tests/simulator/make-test-certs.sh" "$demo_dir/certs" \
    >/dev/null
fi
# A throwaway secret shared by the simulated site and the exporter.
if [ ! -f "$demo_dir/client-secret" ]; then
  (umask 077 && openssl rand -hex 24 >"$demo_dir/client-secret")
fi
cat >"$demo_dir/beyondtrust_exporter.yml" <<YAML
appliances:
  - name: demo-site
    url: https://127.0.0.1:$site_port
    client_id: demo-exporter
    client_secret_file: client-secret
    poll_interval: 5s
    timeout: 3s
    tls_config:
      ca_file: certs/ca.pem
YAML

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$build_dir/tests/simulator/beyondtrust_simulator" \
  --listen "127.0.0.1:$site_port" --cert-dir "$demo_dir/certs" \
  --client-id demo-exporter --client-secret-file "$demo_dir/client-secret" \
  --reps "$reps" --demo &
pids+=($!)

"$build_dir/exporter/beyondtrust_exporter" \
  --config.file "$demo_dir/beyondtrust_exporter.yml" \
  --web.listen-address "127.0.0.1:$port" &
pids+=($!)

# Wait (at most 20 s) for the first poll, then say where to look.
for _ in $(seq 1 40); do
  if curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null |
      grep -q '^beyondtrust_up{appliance="demo-site"} 1'; then
    break
  fi
  sleep 0.5
done
cat <<TEXT

The exporter is polling the simulated site https://127.0.0.1:$site_port.
  metrics:       http://127.0.0.1:$port/metrics
  landing page:  http://127.0.0.1:$port/
  try:           curl -s http://127.0.0.1:$port/metrics | grep '^beyondtrust_'
Press Ctrl-C to stop.
TEXT
wait
