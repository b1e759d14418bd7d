#!/usr/bin/env bash
# Fails when a source file includes a higher layer, or modules of one folder depend on each other.
# usage: scripts/check-layers.sh [BUILD_DIR]
#
# 1. Includes: every `#include "..."` in server/ routes/ db/ sandbox/ must point at the file's own
#    layer or one of the layers RULES allows it (docs/architecture.md). Violations are listed as
#    file:line: from -> to.
# 2. Cycles between the modules (a.c with its a.h) of one folder, from two graphs:
#    - includes: a.c or a.h includes b.h and b.c or b.h includes a.h (b.h counts when b.c exists);
#    - symbols, when BUILD_DIR is given (ctest passes it): a.c.o uses a function or variable that
#      b.c.o defines and the other way round. This finds cycles hidden behind a shared internal
#      header, which the include graph cannot see.
#    Every mutual pair is reported; longer loops are found with tsort. Only the pairs in
#    KNOWN_CYCLES are tolerated.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-}
cd "$root"

# Layer of a path (relative to the checkout), or nothing when the path is outside the layers.
layer_of() {
    case $1 in
    server/core/*) echo core ;;
    server/http/*) echo http ;;
    server/iamport/*) echo iamport ;;
    server/billing/*) echo billing ;;
    server/*/*) ;;
    server/*) echo server ;;
    db/*) echo db ;;
    routes/*) echo routes ;;
    sandbox/*) echo sandbox ;;
    esac
}

# What each layer may include besides itself. core → http, db, iamport → billing → routes →
# server (main.c, config.c, migrator.c); the sandbox is a separate program on core + http.
declare -A RULES=(
    [core]=""
    [http]="core"
    [db]="core"
    [iamport]="core"
    [billing]="core db iamport"
    [routes]="core http db iamport billing"
    [server]="core http db iamport billing routes"
    [sandbox]="core http"
)

# Cycles being removed on other branches; each line is "a b" (module paths without extension).
# The lead empties this list once those branches are merged: do not add to it.
KNOWN_CYCLES=(
)

violations=0
includes=0
files=0
edges=$(mktemp)
trap 'rm -f "$edges" "$edges".*' EXIT

while IFS= read -r file; do
    files=$((files + 1))
    from=$(layer_of "$file")
    dir=$(dirname "$file")
    if [ -z "$from" ]; then
        echo "$file: in no layer (a new folder needs a row in layer_of, RULES and CMakeLists.txt)" >&2
        violations=$((violations + 1))
        continue
    fi
    while IFS=: read -r line target; do
        [ -n "$line" ] || continue
        includes=$((includes + 1))
        # The tree includes by path from the checkout; a bare name is relative to the file.
        if [ -e "$dir/$target" ] && [ ! -e "$target" ]; then
            target="$dir/$target"
        fi
        to=$(layer_of "$target")
        if [ -z "$to" ]; then
            echo "$file:$line: $from -> '$target': outside the layers" >&2
            violations=$((violations + 1))
            continue
        fi
        if [ "$to" != "$from" ] && [[ " ${RULES[$from]} " != *" $to "* ]]; then
            echo "$file:$line: $from -> $to: forbidden ($from may include:" \
                "${RULES[$from]:-only itself}) in #include \"$target\"" >&2
            violations=$((violations + 1))
        fi
        # Module edge for the cycle check: same folder, another module with code (a header
        # without its .c, like body_internal.h or http.h, is an interface, not a module).
        if [ "$(dirname "$target")" = "$dir" ] && [ "${target%.*}" != "${file%.*}" ] &&
            [ -f "${target%.*}.c" ]; then
            echo "${file%.*} ${target%.*}" >>"$edges.inc"
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/;T;=;p' "$file" |
        paste -d: - -)
done < <(find server routes db sandbox -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)

# Symbol edges: object files of sources that still exist, linked by defined/used symbols.
if [ -n "$build" ]; then
    find "$build/CMakeFiles" -path '*/CMakeFiles/*.dir/*' -name '*.c.o' \
        -not -path '*/billkey_testlib.dir/*' -not -path '*/test_*.dir/*' |
        while IFS= read -r obj; do
            src=${obj#*.dir/}
            src=${src%.o}
            [ -f "$src" ] || continue
            [ "$obj" -nt "$src" ] || continue # stale: left by an older build of another target
            nm "$obj" | awk -v m="${src%.c}" '$1 == "U" { print "U", m, $2; next }
                NF == 3 && $2 ~ /^[TDBRCGS]$/ { print "D", m, $3 }'
        done >"$edges.sym"
    awk '$1 == "D" { def[$3] = $2; next } { use[$2 " " $3] = 1 }
         END { for (k in use) { split(k, a, " ")
                   if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]] } }' \
        "$edges.sym" | awk '{ d1 = $1; d2 = $2; sub(/\/[^\/]*$/, "", d1); sub(/\/[^\/]*$/, "", d2)
                            if (d1 == d2) print }' >>"$edges.inc"
fi
touch "$edges.inc"
LC_ALL=C sort -u "$edges.inc" >"$edges"

# Mutual pairs first (the common case), each reported once.
known=0
unknown=0
while read -r a b; do
    if printf '%s\n' "${KNOWN_CYCLES[@]}" | grep -qxF "$a $b"; then
        echo "check-layers: cycle $a <-> $b (known, allowed until its branch is merged)"
        known=$((known + 1))
    else
        echo "check-layers: cycle $a <-> $b" >&2
        unknown=$((unknown + 1))
    fi
done < <(awk '{ e[$1 " " $2] = 1 } END { for (k in e) { split(k, a, " ")
             if (a[1] < a[2] && ((a[2] " " a[1]) in e)) print a[1], a[2] } }' "$edges" |
    LC_ALL=C sort)

# Longer loops: tsort on the graph without the known pairs.
printf '%s\n' "${KNOWN_CYCLES[@]}" | awk '{ print $1, $2; print $2, $1 }' >"$edges.known"
if ! loops=$(grep -vxF -f "$edges.known" "$edges" | tsort 2>&1 >/dev/null) || [ -n "$loops" ]; then
    if [ -n "$loops" ]; then
        echo "$loops" | sed -e 's/^tsort: -: input contains a loop:/check-layers: loop:/' \
            -e 's/^tsort: /check-layers:   /' >&2
        unknown=$((unknown + 1))
    fi
fi

if [ "$violations" -gt 0 ] || [ "$unknown" -gt 0 ]; then
    echo "check-layers: FAILED: $violations forbidden include(s), $unknown unknown cycle(s)" \
        "in $files files (rules and allowed cycles: scripts/check-layers.sh)"
    exit 1
fi
symbols="symbols checked"
[ -n "$build" ] || symbols="symbols not checked (no build dir given)"
echo "check-layers: OK: $includes includes in $files files follow the layers; $known known" \
    "cycle(s) allowed, no other cycles; $symbols"
