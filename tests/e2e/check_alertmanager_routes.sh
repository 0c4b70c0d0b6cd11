#!/bin/sh
# Checks that the example Alertmanager configuration routes each kind of
# beyondtrust alert to the receiver its comment promises.
# Usage: check_alertmanager_routes.sh AMTOOL ALERTMANAGER_YML
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 AMTOOL ALERTMANAGER_YML" >&2
  exit 2
fi
amtool=$1
config=$2
failed=0

# Expects the labels after $1 to route to receiver $1.
expect_route() {
  receiver=$1
  shift
  if "$amtool" config routes test --config.file="$config" \
      --verify.receivers="$receiver" "$@" >/dev/null 2>&1; then
    echo "PASS $* -> $receiver"
  else
    echo "FAIL $* -> expected $receiver, got:"
    "$amtool" config routes test --config.file="$config" "$@" 2>/dev/null || true
    failed=$((failed + 1))
  fi
}

expect_route support-lead-pager alertname=BeyondTrustTooFewRepsLoggedIn \
  team=support severity=critical appliance=rs.example.com
expect_route support-lead-chat alertname=BeyondTrustNoRepsOnPublicList \
  team=support severity=warning appliance=rs.example.com
expect_route monitoring-pager alertname=BeyondTrustCredentialsRejected \
  team=monitoring severity=critical appliance=rs.example.com
expect_route monitoring alertname=BeyondTrustAPIFailing \
  team=monitoring severity=warning appliance=rs.example.com
expect_route monitoring alertname=SomethingElse

[ "$failed" -eq 0 ]
