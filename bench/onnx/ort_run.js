// ort_run.js - runs a Fashion-MNIST ONNX model under ONNX Runtime (CPU) on
// the t10k images and compares its outputs with those `chimera run
// --output` wrote. Used by bench/onnx/ort_compare.sh.
//   node ort_run.js MODEL.onnx IMAGES.idx.gz LABELS.idx.gz CHIMERA_OUT THREADS
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const ort = require('onnxruntime-node');

function idx(path) {
  const b = zlib.gunzipSync(fs.readFileSync(path));
  const dims = b[3];
  const shape = [];
  for (let i = 0; i < dims; i++) shape.push(b.readUInt32BE(4 + 4 * i));
  return { shape, data: b.subarray(4 + 4 * dims) };
}

(async () => {
  const [model, images, labels, chmOut, threads] = process.argv.slice(2);
  const img = idx(images), lab = idx(labels);
  const n = img.shape[0], per = img.shape[1] * img.shape[2];
  const x = new Float32Array(n * per);
  for (let i = 0; i < n * per; i++) x[i] = img.data[i] / 255;
  const opts = { intraOpNumThreads: Number(threads), interOpNumThreads: 1,
                 graphOptimizationLevel: 'all' };
  const s = await ort.InferenceSession.create(model, opts);
  const batch = 100;
  const feeds = (b) => ({ [s.inputNames[0]]: new ort.Tensor('float32',
      x.subarray(b * per, (b + batch) * per), [batch, 1, img.shape[1], img.shape[2]]) });
  await s.run(feeds(0)); // warm-up: ORT plans on its first run
  let out = null, ncls = 0;
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < n; b += batch) {
    const r = await s.run(feeds(b));
    const y = r[s.outputNames[0]];
    if (!out) { ncls = y.dims[1]; out = new Int8Array(n * ncls); }
    out.set(y.data, b * ncls);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cb = fs.readFileSync(chmOut);
  const chm = new Int8Array(cb.buffer.slice(cb.byteOffset, cb.byteOffset + cb.length));
  let same = 0, argSame = 0, maxd = 0, ortOk = 0, chmOk = 0, off1 = 0;
  const apart = [];
  for (let i = 0; i < n; i++) {
    let a = 0, c = 0, eq = true;
    for (let k = 0; k < ncls; k++) {
      const o = out[i * ncls + k], h = chm[i * ncls + k];
      if (o !== h) eq = false;
      const d = Math.abs(o - h);
      if (d === 1) off1++;
      if (d > maxd) maxd = d;
      if (o > out[i * ncls + a]) a = k;
      if (h > chm[i * ncls + c]) c = k;
    }
    same += eq; argSame += a === c;
    if (!eq && apart.length < 5) apart.push(i);
    ortOk += a === lab.data[i]; chmOk += c === lab.data[i];
  }
  console.log(`onnxruntime ${ort.env.versions.common} (${threads} thread${threads > 1 ? 's' : ''}): ` +
              `${n} images in ${ms.toFixed(1)} ms (${(1000 * ms / n).toFixed(2)} us an image)`);
  console.log(`  logits identical to chimera's: ${same} of ${n} images; ` +
              `${off1} logits one step apart, largest difference ${maxd}; top-1 same on ${argSame}`);
  if (apart.length) console.log(`  images whose logits differ (first ${apart.length}): ${apart.join(', ')}`);
  console.log(`  accuracy: onnxruntime ${(100 * ortOk / n).toFixed(2)}%, chimera ${(100 * chmOk / n).toFixed(2)}%`);
})().catch((e) => { console.error(e); process.exit(1); });
