#!/usr/bin/env bash
# What a plugin author sees stands alone: every public SDK header compiles on its own, and every SDK and built-in
# plugin source compiles with only its own includes (no precompiled header, no neighbour in a combined unit), so an
# out-of-tree copy of any built-in plugin builds. Syntax only (g++ -fsyntax-only), in parallel; the normal build's
# combined units and precompiled header would hide a missing include.
#   scripts/check_standalone.sh        after scripts/setup.sh (the packages); STANDALONE_BUILD_DIR=build-standalone
# The CLI's and engine's files are not checked this way: nothing outside the tree compiles them, and checking them
# too (file by file without the header, as CI once built everything) cost CI 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${STANDALONE_BUILD_DIR:-build-standalone}
JOBS=${JOBS:-$(nproc)}
started=$SECONDS
# Configured only (seconds): its compile commands, with the generated headers the sources include.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_PCH=OFF -DSCOREGEN_UNITY=OFF \
      -DSCOREGEN_BUILD_TESTS=OFF -DSCOREGEN_BUILD_BENCH=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > /dev/null
checks="$BUILD_DIR/standalone"
rm -rf "$checks" && mkdir -p "$checks"
# One shell command per check, each run from the build folder as CMake's own command would be.
/usr/bin/python3 - "$PWD" "$BUILD_DIR" "$checks" <<'EOF'
import json, os, shlex, sys
root, build, checks = sys.argv[1], sys.argv[2], sys.argv[3]
entries = json.load(open(os.path.join(build, "compile_commands.json")))
def strip_output(command):
    words = shlex.split(command)
    out, skip = [], False
    for w in words:
        if skip: skip = False; continue
        if w in ("-o", "-c", "-MF", "-MT"): skip = w != "-c"; continue
        if w in ("-MD",): continue
        out.append(w)
    return out
lines, sdk_flags = [], None
for e in entries:
    rel = os.path.relpath(e["file"], root)
    if not (rel.startswith("sdk/src/") or rel.startswith("plugins/")):
        continue
    words = strip_output(e["command"])
    words = [w for w in words if os.path.abspath(os.path.join(e["directory"], w)) != e["file"]]
    if rel.startswith("sdk/src/") and sdk_flags is None:
        sdk_flags = (e["directory"], words)
    lines.append((rel, e["directory"], words + ["-fsyntax-only", e["file"]]))
# Each public header alone, with the SDK's own flags
directory, words = sdk_flags
for name in sorted(os.listdir(os.path.join(root, "sdk/include/scoregen"))):
    if not name.endswith(".hpp"): continue
    unit = os.path.join(os.path.abspath(checks), name + ".cpp")
    open(unit, "w").write("#include <scoregen/%s>\n" % name)
    lines.append(("sdk/include/scoregen/" + name, directory, words + ["-fsyntax-only", unit]))
with open(os.path.join(checks, "commands"), "w") as f:
    for rel, d, w in lines:
        f.write("%s\t%s\n" % (rel, "cd %s && %s" % (shlex.quote(d), " ".join(shlex.quote(x) for x in w))))
EOF
count=$(wc -l < "$checks/commands")
failed=0
# xargs runs the checks JOBS at a time; each failing check prints its file and the compiler's message
while IFS=$'\t' read -r name command; do printf '%s\0%s\0' "$name" "$command"; done < "$checks/commands" |
  xargs -0 -n 2 -P "$JOBS" bash -c 'if ! out=$(bash -c "$1" 2>&1); then printf "standalone: %s does not compile on its own:\n%s\n" "$0" "$out"; exit 1; fi' ||
  failed=1
if [ "$failed" -ne 0 ]; then
  echo "standalone: a file above leans on an include it does not make (docs/architecture.md \"Tests\")" >&2
  exit 1
fi
echo "standalone: ${count} headers and sources compile on their own ($((SECONDS - started)) s)"
