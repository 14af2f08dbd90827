#!/usr/bin/env bash
# Build the junos-sim container image locally from our own static binary (no registry).
#   lab/container/build.sh [TAG]     (default tag: junos-sim:dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag="${1:-junos-sim:dev}"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release -p junos-sim --bin junos-sim \
  --target x86_64-unknown-linux-gnu --target-dir target/static
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp target/static/x86_64-unknown-linux-gnu/release/junos-sim "$ctx/junos-sim"
cp lab/container/Dockerfile "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null
echo "built $tag"
