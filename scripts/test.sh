#!/usr/bin/env bash
# Set everything up, then run the whole test suite: unit, command and integration (real Docker engine).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
# Integration tests must fail, never skip, when the engine is missing.
export FIREDRILL_REQUIRE_DOCKER=1
exec npx vitest run "$@"
