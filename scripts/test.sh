#!/usr/bin/env bash
# Set everything up, then run the whole test suite: unit, command and integration (real Docker engine).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The integration tests also drill messenger-3dc and mariadb-2site: build their images too.
export FIREDRILL_TEST_IMAGES=1
. scripts/setup.sh
# The integration project fails (never skips) when the engine is missing; setup has started one.
# Plain logs when not on a terminal (CI).
[ -t 1 ] || export NO_COLOR=1
# Imports only point down the layers (.dependency-cruiser.cjs); a violation prints the offending import and stops here.
npm run --silent lint:deps
exec npx vitest run "$@"
