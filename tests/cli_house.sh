#!/usr/bin/env bash
# House rules of the source tree, checked on every test run:
#  - layering (scripts/check_layers.py on the object files of the build that
#    $SMILE_BIN belongs to): no circle between files, no module using a module
#    of its own or a higher layer, no foreign private header;
#  - sizes and citations (scripts/check_sizes.py): files <= 700 lines,
#    functions <= 150 lines, include/smile.h <= 600 lines, no comment or help
#    text citing a document outside this repository.
# Last line: "cli_house: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
build=$(dirname "$BIN")
if out=$(python3 scripts/check_layers.py "$build" 2>&1); then ok; else nok "layers: $out"; fi
if out=$(python3 scripts/check_sizes.py 2>&1); then ok; else nok "sizes: $(printf '%s\n' "$out" | tail -n 20)"; fi
echo "cli_house: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
