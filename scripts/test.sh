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
# With arguments, vitest gets them as they are. Without, every project; the multi-engine project (three
# Docker engines as containers of this one, test/support/engines.ts) after the others, never beside the
# integration project: both check that the host engine is left as they found it.
if [ "$#" -gt 0 ]; then exec npx vitest run "$@"; fi
npx vitest run --project unit --project tools --project commands --project integration
exec npx vitest run --project multi-engine
