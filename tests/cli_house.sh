#!/usr/bin/env bash
# House rules of the source tree, checked on every test run by
# scripts/check_house.py on the build that $SMILE_BIN belongs to: layering
# (no circle between files, no module using a module of its own or a higher
# layer, no foreign private header), sizes (files <= 700 lines, functions
# <= 150 lines, include/smile.h <= 600 lines) and no comment or help text
# citing a document outside this repository.
# Last line: "cli_house: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
if out=$(python3 scripts/check_house.py "$(dirname "$BIN")" 2>&1); then ok
else nok "$(printf '%s\n' "$out" | tail -n 20)"; fi
echo "cli_house: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
