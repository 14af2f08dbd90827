#!/usr/bin/env bash
# Build container images locally from our own static binaries (no registry).
#   lab/container/build.sh [TAG]            junos-sim (default tag: junos-sim:dev)
#   lab/container/build.sh --netlab [TAG]   netlab, for lab/k8s/ (default tag: netlab:dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=junos-sim pkg=junos-sim dockerfile=Dockerfile
if [ "${1:-}" = "--netlab" ]; then
  shift
  bin=netlab pkg=netlab dockerfile=Dockerfile.netlab
fi
tag="${1:-$bin:dev}"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release -p "$pkg" --bin "$bin" \
  --target x86_64-unknown-linux-gnu --target-dir target/static
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "target/static/x86_64-unknown-linux-gnu/release/$bin" "$ctx/$bin"
cp "lab/container/$dockerfile" "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null
echo "built $tag"
