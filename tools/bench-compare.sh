#!/usr/bin/env bash
# The pool's criterion benches (bench/benches/pool.rs: checkout and return, pooled RPC and
# exec against an in-process junos-sim on the instant profile) at commit BEFORE and in this
# checkout, run alternately ROUNDS times (default 4; the order flips each round) so that
# the machine's drift hits both alike: each run's estimate and the after/before ratio of
# the medians. BEFORE is checked out in a temporary git worktree (removed at the end).
#
# Each side is built once, in release, and its bench executable copied aside; the rounds
# run the copies. Both sides build into one CARGO_TARGET_DIR, where cargo names a
# workspace crate's artifacts by its path inside the workspace and judges them fresh by
# file times: built one after the other, the second side would be taken as up to date and
# run the first side's code. So every tracked .rs file of a side is touched before its
# build, and the two executables are checked to differ.
# Usage: tools/bench-compare.sh BEFORE [ROUNDS] [FILTER]
set -euo pipefail
before=${1:?usage: tools/bench-compare.sh BEFORE [ROUNDS] [FILTER]}
rounds=${2:-4}
filter=${3:-.}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$(mktemp -d)
tree="$out/before"
git -C "$repo" worktree add -q --detach "$tree" "$before"
trap 'git -C "$repo" worktree remove --force "$tree"; rm -rf "$out"' EXIT
build() { # DIR COPY: build DIR's bench executable and copy it to COPY
  git -C "$1" ls-files -z '*.rs' | (cd "$1" && xargs -0 touch)
  local exe
  exe=$(cd "$1" && cargo bench -q -p netpool-bench --bench pool --no-run --message-format=json |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "pool" and m.get("executable"):
        print(m["executable"])
')
  [ -n "$exe" ] || { echo "bench-compare: no bench executable built in $1" >&2; exit 1; }
  cp "$exe" "$2"
}
build "$tree" "$out/bench-before"
build "$repo" "$out/bench-after"
if cmp -s "$out/bench-before" "$out/bench-after"; then
  echo "bench-compare: the two bench executables are the same file: nothing to compare" >&2
  exit 1
fi
run() { # LABEL EXECUTABLE
  "$2" --bench "$filter" --noplot 2>/dev/null |
    python3 "$here/criterion-table.py" read "$1" | tee -a "$out/times"
}
for r in $(seq 1 "$rounds"); do
  # ABBA: the order flips each round, so that a drift of the machine over the run does
  # not favour the side that always runs first.
  if ((r % 2)); then
    run before "$out/bench-before"
    run after "$out/bench-after"
  else
    run after "$out/bench-after"
    run before "$out/bench-before"
  fi
done
python3 "$here/criterion-table.py" table "$out/times" before after
