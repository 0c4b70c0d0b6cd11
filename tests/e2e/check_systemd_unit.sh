#!/bin/sh
# Checks the systemd unit: systemd-analyze verify accepts it, and its
# exposure score from systemd-analyze security stays at or below 2.0.
# verify needs ExecStart's binary to exist, so a copy of the unit points
# at the freshly built exporter.
# Usage: check_systemd_unit.sh UNIT_FILE EXPORTER_BINARY
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 UNIT_FILE EXPORTER_BINARY" >&2
  exit 2
fi
unit=$1
exporter=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check_systemd_unit: systemd-analyze not found; install the Debian package systemd" >&2
  exit 1
fi
if [ ! -x "$exporter" ]; then
  echo "check_systemd_unit: exporter binary $exporter is missing; build it first" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy=$work/$(basename "$unit")
sed "s|/usr/local/bin/beyondtrust_exporter|$exporter|" "$unit" > "$copy"

systemd-analyze verify "$copy"
# --threshold counts in tenths of the printed exposure level.
systemd-analyze security --offline=true --threshold=20 --no-pager "$copy" \
  > "$work/security.txt"
tail -n 1 "$work/security.txt"
echo "check_systemd_unit: $unit is clean"
