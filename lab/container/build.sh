#!/usr/bin/env bash
# Build container images locally from our own binaries (no registry, no base image).
#   lab/container/build.sh [TAG]               junos-sim (default tag: junos-sim:dev)
#   lab/container/build.sh --netlab [TAG]      netlab, for lab/k8s/ (default tag: netlab:dev)
#   lab/container/build.sh --all               both, tagged junos-sim:dev and netlab:dev
#   ... --from DIR                             use DIR/junos-sim and DIR/netlab as built
#                                              (e.g. $CARGO_TARGET_DIR/debug after `cargo test
#                                              --workspace`) instead of compiling
# Without --from, both binaries are compiled statically (crt-static, release) in one cargo
# invocation into the build directory (CARGO_TARGET_DIR, else target/) under static/.
# With --from, a dynamically linked binary brings its loader and the shared libraries `ldd`
# names, at the same paths, so it runs in an image made of nothing else. Every image carries
# the label org.netpool-lab.image, so a cleanup can prune the dangling ones of ours alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
from= bins=(junos-sim) tag=
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:?--from needs a directory}"; shift 2 ;;
    --netlab) bins=(netlab); shift ;;
    --all) bins=(junos-sim netlab); shift ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) tag="$1"; shift ;;
  esac
done
if [ -n "$tag" ] && [ "${#bins[@]}" -ne 1 ]; then
  echo "build.sh: a TAG names one image; --all tags junos-sim:dev and netlab:dev" >&2
  exit 2
fi

if [ -z "$from" ]; then
  target="${CARGO_TARGET_DIR:-target}/static"
  pkgs=()
  for b in "${bins[@]}"; do pkgs+=(-p "$b" --bin "$b"); done
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release "${pkgs[@]}" \
    --target x86_64-unknown-linux-gnu --target-dir "$target"
  from="$target/x86_64-unknown-linux-gnu/release"
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
for bin in "${bins[@]}"; do
  src="$from/$bin"
  if [ ! -x "$src" ]; then
    echo "build.sh: no binary $src (cargo test --workspace or cargo build -p $bin makes it)" >&2
    exit 1
  fi
  rm -rf "${ctx:?}"/*
  mkdir -p "$ctx/rootfs"
  # Line tables are no use in an image: strip them (a debug build shrinks several times).
  strip --strip-debug -o "$ctx/$bin" "$src" 2>/dev/null || cp "$src" "$ctx/$bin"
  if ldd "$src" >/dev/null 2>&1; then
    # Dynamically linked: the loader and every library ldd resolves, at the same paths.
    ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
      while read -r lib; do
        mkdir -p "$ctx/rootfs$(dirname "$lib")"
        cp -L "$lib" "$ctx/rootfs$lib"
      done
  fi
  dockerfile=lab/container/Dockerfile
  [ "$bin" = netlab ] && dockerfile=lab/container/Dockerfile.netlab
  cp "$dockerfile" "$ctx/Dockerfile"
  t="${tag:-$bin:dev}"
  DOCKER_BUILDKIT=0 docker build -q -t "$t" "$ctx" >/dev/null
  echo "built $t from $src"
done
