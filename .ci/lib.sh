# shellcheck shell=bash
# What `.ci/run` (and `.ci/test-cleanup`) share: settings, the disk guard, source freshness
# across fresh clones, and the cleanup. Sourced from the repository root.
#
# Settings (environment variables; the defaults are what CI uses):
#   NETPOOL_CI_HOME         /var/tmp/netpool-lab   one per machine, outside every clone
#   CARGO_TARGET_DIR        $NETPOOL_CI_HOME/target   the one build directory
#   NETPOOL_CI_VENV         $NETPOOL_CI_HOME/venv     the Python venv of the clients
#   NETPOOL_CI_MIN_FREE_GB  15   free disk below which the run stops before building
#   NETPOOL_CI_STEP_FREE_GB 3    free disk below which the run stops between steps
#   NETPOOL_MAX_TARGET_GB   20   build directory size above which it is pruned first

ci_die() {
  printf 'ci: %s\n' "$*" >&2
  exit 3
}

ci_whole_number() { # NAME VALUE
  case "$2" in '' | *[!0-9]*) ci_die "$1 must be a whole number, not '$2'" ;; esac
}

ci_settings() {
  ROOT=$PWD
  NETPOOL_CI_HOME="${NETPOOL_CI_HOME:-/var/tmp/netpool-lab}"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$NETPOOL_CI_HOME/target}"
  export NETPOOL_CI_VENV="${NETPOOL_CI_VENV:-$NETPOOL_CI_HOME/venv}"
  NETPOOL_CI_MIN_FREE_GB="${NETPOOL_CI_MIN_FREE_GB:-15}"
  NETPOOL_CI_STEP_FREE_GB="${NETPOOL_CI_STEP_FREE_GB:-3}"
  export NETPOOL_MAX_TARGET_GB="${NETPOOL_MAX_TARGET_GB:-20}"
  ci_whole_number NETPOOL_CI_MIN_FREE_GB "$NETPOOL_CI_MIN_FREE_GB"
  ci_whole_number NETPOOL_CI_STEP_FREE_GB "$NETPOOL_CI_STEP_FREE_GB"
  ci_whole_number NETPOOL_MAX_TARGET_GB "$NETPOOL_MAX_TARGET_GB"
  case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$ROOT/$CARGO_TARGET_DIR" ;; esac
  # One-shot builds never read incremental caches back (1.3 GB of a cold run).
  export CARGO_INCREMENTAL=0
  export CARGO_TERM_COLOR=never
  # What the steps write (JSON, HTML, logs); the report test's screenshots go to reports/.
  OUT="$CARGO_TARGET_DIR/ci"
  mkdir -p "$NETPOOL_CI_HOME"
}

ci_free_gb() { df -BG --output=avail "$1" | tail -1 | tr -dc 0-9; }

ci_size() { # human size of a directory, or "nothing" when absent
  if [ -d "$1" ]; then du -sh "$1" 2>/dev/null | cut -f1; else echo nothing; fi
}

# Stops the run, naming the problem, when the disk that builds would fill is short.
ci_disk_guard() { # MIN_GB
  local free
  free=$(ci_free_gb "$NETPOOL_CI_HOME")
  if [ "$free" -lt "$1" ]; then
    ci_die "the disk is full: ${free} GB free under $NETPOOL_CI_HOME, and this run needs $1 GB" \
      "(NETPOOL_CI_MIN_FREE_GB=$NETPOOL_CI_MIN_FREE_GB before building," \
      "NETPOOL_CI_STEP_FREE_GB=$NETPOOL_CI_STEP_FREE_GB between steps)." \
      "The build directory $CARGO_TARGET_DIR holds $(ci_size "$CARGO_TARGET_DIR")." \
      "Reclaim it with: tools/prune-target --all $CARGO_TARGET_DIR" \
      "(other machines' build trees: ../shared/tools/disk-check --reclaim)"
  fi
}

# A fresh clone gives every file a new mtime, and cargo rebuilds a workspace crate whose
# sources are newer than its last build. The build directory keeps the list of (mode, blob,
# path) that its last green run built from; a file whose entry is unchanged gets one fixed old
# mtime, so cargo sees it as built, and a changed or new file keeps its clone time, so cargo
# rebuilds what depends on it. Used only when it is safe:
# - the tree is clean (a file edited in place is not what its blob says);
# - nothing was built into the directory since that run (no cargo fingerprint is newer than
#   the list: someone else's build may have compiled other sources there).
# The list is deleted before building and written again only when the whole run is green, so
# a run that fails half-way leaves no claim about what was built.
CI_SOURCES_MTIME=946684800 # 2000-01-01: older than any build
ci_sources_list() { echo "$CARGO_TARGET_DIR/netpool-ci-sources"; }

ci_restore_mtimes() {
  local list newer n total same
  list=$(ci_sources_list)
  CI_TREE_CLEAN=
  if ! git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    echo "not a git checkout: cargo decides by mtimes"
    return 0
  fi
  if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
    echo "the tree has local changes: cargo decides by mtimes"
    rm -f "$list"
    return 0
  fi
  CI_TREE_CLEAN=1
  if [ ! -f "$list" ]; then
    echo "no record of a green run in $CARGO_TARGET_DIR: the workspace crates build from scratch"
    return 0
  fi
  newer=$(find "$CARGO_TARGET_DIR" -maxdepth 5 -path '*/.fingerprint/*' -newer "$list" -print -quit 2>/dev/null)
  if [ -n "$newer" ]; then
    echo "something was built in $CARGO_TARGET_DIR after its last green run ($newer): cargo decides by mtimes"
    rm -f "$list"
    return 0
  fi
  total=$(git -C "$ROOT" ls-files -z | tr -cd '\0' | wc -c)
  same="$CI_TMP/sources-unchanged"
  LC_ALL=C comm -z -12 <(git -C "$ROOT" ls-files -s -z | LC_ALL=C sort -z) <(LC_ALL=C sort -z "$list") |
    cut -z -f2- >"$same"
  (cd "$ROOT" && xargs -0 -r touch -h -d "@$CI_SOURCES_MTIME" -- <"$same")
  n=$(tr -cd '\0' <"$same" | wc -c)
  echo "$n of $total tracked files are as in the last green run: cargo reuses what they built"
  rm -f "$list"
}

ci_record_sources() {
  [ -n "${CI_TREE_CLEAN:-}" ] || return 0
  git -C "$ROOT" ls-files -s -z >"$(ci_sources_list)"
}

# --- cleanup: nothing of a run outlives it -----------------------------------------------

ci_docker() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# Containers and networks that exist before the run are not ours to remove.
ci_snapshot_start() {
  CI_CONTAINERS_BEFORE=
  CI_NETWORKS_BEFORE=
  if ci_docker; then
    CI_CONTAINERS_BEFORE=$(docker ps -aq --no-trunc | sort)
    CI_NETWORKS_BEFORE=$(docker network ls -q --no-trunc | sort)
  fi
}

# Processes of ours: a binary of the build directory (netlab, junos-sim, test binaries), or
# a program the venv's Python runs (the MCP server, a client). Never this shell or its parents.
ci_our_pids() {
  local d p exe arg0 keep=" " q=$$
  while [ -n "$q" ] && [ "$q" -gt 1 ]; do
    keep="$keep$q "
    q=$(sed 's/.*) //' "/proc/$q/stat" 2>/dev/null | cut -d' ' -f2)
  done
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    case "$keep" in *" $p "*) continue ;; esac
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    arg0=$(tr '\0' '\n' <"$d/cmdline" 2>/dev/null | head -n 1)
    case "$exe" in "$CARGO_TARGET_DIR"/*) echo "$p"; continue ;; esac
    case "$arg0" in "$CARGO_TARGET_DIR"/* | "$NETPOOL_CI_VENV"/*) echo "$p" ;; esac
  done
}

# Everything a run could leave behind, one line each, for a before/after comparison.
ci_leftovers() {
  local p
  if ci_docker; then
    docker ps -aq --no-trunc | sort | sed 's/^/container /'
    docker network ls -q --no-trunc | sort | sed 's/^/network /'
    docker images -q --no-trunc --filter dangling=true --filter label=org.netpool-lab.image | sort | sed 's/^/dangling image /'
  fi
  for p in $(ci_our_pids); do
    echo "process $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
  done
  [ -n "${CI_TMP:-}" ] && [ -e "$CI_TMP" ] && echo "temporary directory $CI_TMP"
  return 0
}

ci_cleanup() {
  local now extra pids
  if ci_docker; then
    now=$(docker ps -aq --no-trunc | sort)
    extra=$(comm -13 <(echo "$CI_CONTAINERS_BEFORE") <(echo "$now") | grep . || true)
    # shellcheck disable=SC2086
    [ -z "$extra" ] || docker rm -f -v $extra >/dev/null 2>&1 || true
    now=$(docker network ls -q --no-trunc | sort)
    extra=$(comm -13 <(echo "$CI_NETWORKS_BEFORE") <(echo "$now") | grep . || true)
    # shellcheck disable=SC2086
    [ -z "$extra" ] || docker network rm $extra >/dev/null 2>&1 || true
    # A tagged image is reused by the next run; the one it replaced is dangling.
    docker image prune -f --filter label=org.netpool-lab.image >/dev/null 2>&1 || true
  fi
  pids=$(ci_our_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 1 20); do
      pids=$(ci_our_pids)
      [ -z "$pids" ] && break
      sleep 0.1
    done
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  fi
  [ -z "${CI_TMP:-}" ] || rm -rf "$CI_TMP"
}
