#!/usr/bin/env bash
# Fetches onnxruntime-web (npm) for the browser test of the compiled explanation graph (dtd-cli CompiledBrowserIT):
# `npm pack` of one pinned version, of which the test serves the WebAssembly bundle (ort.wasm.bundle.min.mjs, and the
# ort-wasm-simd-threaded .mjs/.wasm it loads). `mvn verify` runs this before dtd-cli's end-to-end tests; it does
# nothing when the files are there. Usage: install-onnxruntime-web.sh DIR
set -euo pipefail
version=1.30.0
dir="${1:?usage: install-onnxruntime-web.sh DIR}"
files=(ort.wasm.bundle.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm)
if [ -f "$dir/VERSION" ] && [ "$(cat "$dir/VERSION")" = "$version" ]; then
  exit 0
fi
command -v npm > /dev/null || { echo "install-onnxruntime-web: npm is missing (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-web@$version" > /dev/null && tar -xzf "onnxruntime-web-$version.tgz")
mkdir -p "$dir"
for f in "${files[@]}"; do
  cp "$tmp/package/dist/$f" "$dir/$f"
done
cp "$tmp/package/LICENSE" "$dir/LICENSE" 2>/dev/null || true
echo "$version" > "$dir/VERSION"
echo "install-onnxruntime-web: onnxruntime-web $version in $dir"
