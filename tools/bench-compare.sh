#!/usr/bin/env bash
# The pool's criterion benches (bench/benches/pool.rs: checkout and return, pooled RPC and
# exec against an in-process junos-sim on the instant profile) at commit BEFORE and in this
# checkout, run alternately ROUNDS times (default 4; the order flips each round) so that
# the machine's drift hits both alike: each run's estimate and the after/before ratio of the medians. BEFORE is checked
# out in a temporary git worktree (removed at the end); both build into one
# CARGO_TARGET_DIR (the first round compiles both, in release).
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
run() { # LABEL DIR
  (cd "$2" && cargo bench -q -p netpool-bench --bench pool -- "$filter" --noplot 2>/dev/null) |
    python3 "$here/criterion-table.py" read "$1" | tee -a "$out/times"
}
for r in $(seq 1 "$rounds"); do
  # ABBA: the order flips each round, so that a drift of the machine over the run does
  # not favour the side that always runs first.
  if ((r % 2)); then
    run before "$tree"
    run after "$repo"
  else
    run after "$repo"
    run before "$tree"
  fi
done
python3 "$here/criterion-table.py" table "$out/times" before after
