#!/usr/bin/env bash
# CI's dependency check: no high or critical advisory in what sagaway ships (devDependencies left out).
# Where the registry offers no audit endpoint (some mirrors answer 405), say so plainly instead of
# passing or failing on an answer nobody gave.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "audit endpoint returned an error" <<<"$out"; then
  echo "npm audit: this registry has no audit endpoint ($(grep -o '[0-9]\{3\} [A-Za-z ]*' <<<"$out" | head -1)); the advisory check did not run"
  exit 0
fi
echo "$out"
exit $rc
