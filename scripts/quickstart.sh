#!/usr/bin/env bash
# Set everything up, then run the shipped drills against the embedded 3-site topology and print the graded table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
exec node bin/run.js run drills/*.yaml "$@"
