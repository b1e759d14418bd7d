#!/usr/bin/env bash
# Fails when a tracked C file differs from what clang-format (.clang-format) would make of it.
# usage: scripts/check-format.sh [-v]   (-v also prints clang-format's complaints)
# Fix with: clang-format -i FILE. Declarative tables keep their layout inside
# /* clang-format off */ ... /* clang-format on */.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
verbose=${1:-}
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" \
    "(scripts/deps.sh test installs it)" >&2; exit 1; }

checked=0
bad=0
lines=0
while IFS= read -r file; do
    checked=$((checked + 1))
    n=$(clang-format --style=file "$file" | diff "$file" - | grep -c '^<' || true)
    if [ "$n" -gt 0 ]; then
        bad=$((bad + 1))
        lines=$((lines + n))
        echo "check-format: $file: $n line(s) differ" >&2
        [ "$verbose" != -v ] || clang-format --style=file --dry-run "$file" 2>&1 | head -40 >&2
    fi
done < <(git ls-files -- 'server/*.[ch]' 'routes/*.[ch]' 'db/*.[ch]' 'sandbox/*.[ch]' \
    'tests/*.[ch]' 'tools/*.[ch]')

if [ "$bad" -gt 0 ]; then
    echo "check-format: FAILED: $bad of $checked files ($lines lines) are not formatted;" \
        "run clang-format -i on them"
    exit 1
fi
echo "check-format: OK: $checked files formatted as .clang-format says"
