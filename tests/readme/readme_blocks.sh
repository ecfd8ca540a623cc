#!/usr/bin/env bash
# Runs the README's command lines as written, in order, in a scratch folder beside links to the checkout's
# pipelines/, share/ and tests/: every `scoregen ...` line of its indented blocks (continuations joined) and the
# NumPy line the inpainting example writes its arrays with. The lines about building, installing, torchrun and
# Slurm are the setup scripts' and the distributed tests' (tests/cli/distributed_test.cpp) to check. A line that
# exits non-zero fails the test with its output; each line's wall time is printed.
#   tests/readme/readme_blocks.sh SOURCE_DIR BIN_DIR
set -euo pipefail
src=$(cd "$1" && pwd) bin=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for d in pipelines share tests; do ln -s "$src/$d" "$work/$d"; done
export PATH="$bin:$PATH"
unset SCOREGEN_PLUGIN_PATH
# the lines, one per NUL-terminated record: 4-space indented, backslash continuations joined
mapfile -d '' lines < <(/usr/bin/python3 - "$src/README.md" <<'PY'
import sys
joined, out = "", []
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith("    "):
        joined = ""
        continue
    text = line[4:].rstrip("\n")
    if text.endswith("\\"):
        joined += text[:-1]
        continue
    text, joined = joined + text, ""
    if text.startswith("scoregen ") or text.startswith("python3 -c"):
        out.append(text)
sys.stdout.write("".join(l + "\0" for l in out))
PY
)
[ "${#lines[@]}" -ge 20 ] || { echo "readme: only ${#lines[@]} command lines found in $src/README.md" >&2; exit 1; }
cd "$work"
for line in "${lines[@]}"; do
  # the README names the Python that has NumPy (Debian's); the first python3 on PATH may lack it
  [[ $line == python3\ * ]] && line="/usr/bin/$line"
  start=$SECONDS
  if ! output=$(bash -c "$line" 2>&1); then
    printf 'readme: FAILED: %s\n%s\n' "$line" "$output" >&2
    exit 1
  fi
  printf 'readme: %4d s  %s\n' $((SECONDS - start)) "$line"
done
echo "readme: ${#lines[@]} lines ran"
