#!/usr/bin/env bash
# Set everything up, then run the whole test suite: unit, command and integration (real Docker engine).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The report tests (HTML in headless Chromium, JUnit against its schema, the PDF read back) need the report tools.
export FIREDRILL_REPORT_TOOLS=1
# The integration tests also drill messenger-3dc and mariadb-2site: build their images too.
export FIREDRILL_TEST_IMAGES=1
. scripts/setup.sh
# The integration project fails (never skips) when the engine is missing; setup has started one.
# Plain logs when not on a terminal (CI).
[ -t 1 ] || export NO_COLOR=1
# Imports only point down the layers (.dependency-cruiser.cjs); a violation prints the offending import and stops here.
npm run --silent lint:deps
# With arguments, vitest gets them as they are. Without, every project. The multi-engine project (three
# Docker engines as containers of this one, test/support/engines.ts) runs beside the others, in a vitest
# of its own whose log is printed when both are done; each layer checks only what it left on the host
# engine (test/support/host-check.ts). Either failing fails the command.
if [ "$#" -gt 0 ]; then exec npx vitest run "$@"; fi
multi_log=$(mktemp)
npx vitest run --project multi-engine >"$multi_log" 2>&1 &
multi_pid=$!
trap 'kill "$multi_pid" 2>/dev/null || true; rm -f "$multi_log"' EXIT
rc=0
npx vitest run --project unit --project tools --project commands --project integration || rc=$?
multi_rc=0
wait "$multi_pid" || multi_rc=$?
echo
echo "== the multi-engine project (it ran beside the integration project): exit $multi_rc"
cat "$multi_log"
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
exit "$multi_rc"
