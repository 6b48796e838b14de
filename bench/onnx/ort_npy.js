// ort_npy.js - runs an ONNX model under ONNX Runtime (CPU) on inputs from a
// .npy file (float32, C order) and compares its float32 outputs with those
// `chimera run --output` wrote (raw float32, the same layout) and, if
// given, with a reference .npy (e.g. the exporting framework's own outputs).
// Differences are counted in steps of the output's quantization scale.
// Used by bench/onnx/torchvision_compare.sh.
//   node ort_npy.js MODEL.onnx X.npy CHIMERA_OUT SCALE [REF.npy]
// (SCALE: the output's quantization scale, for a float output; a quantized
// output is compared in its own integer steps)
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function npy(path) {
  const b = fs.readFileSync(path);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = (major === 1 ? 10 : 12);
  const hdr = b.toString('latin1', off, off + hlen);
  if (!/'descr': '<f4'/.test(hdr) || /'fortran_order': True/.test(hdr))
    throw new Error(`${path}: float32 in C order expected, header ${hdr}`);
  const shape = hdr.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim())
    .map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off + hlen,
                                               b.byteOffset + b.length));
  return { shape, data };
}

function compare(name, a, b, scale) {
  let same = 0, maxSteps = 0, off1 = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) { same++; continue; }
    const steps = Math.round(Math.abs(a[i] - b[i]) / scale);
    if (steps <= 1) off1++;
    if (steps > maxSteps) maxSteps = steps;
  }
  console.log(`  ${name}: ${same} of ${a.length} outputs identical, ${off1} one step apart, ` +
              `largest difference ${maxSteps} steps`);
}

(async () => {
  const [model, xPath, chmOut, scaleArg, refPath] = process.argv.slice(2);
  const x = npy(xPath);
  const level = process.env.ORT_OPT || 'all'; // 'disabled': QDQ nodes run as written, in float
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1,
    interOpNumThreads: 1, graphOptimizationLevel: level });
  const t0 = process.hrtime.bigint();
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const yt = r[s.outputNames[0]];
  const y = yt.data;
  console.log(`onnxruntime ${ort.env.versions.common} (1 thread, optimization ${level}): ` +
              `${x.shape[0]} inputs in ${ms.toFixed(1)} ms`);
  const cb = fs.readFileSync(chmOut);
  const types = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array };
  if (!types[yt.type]) throw new Error(`output type ${yt.type}: float32, uint8 or int8 expected`);
  const chm = new types[yt.type](cb.buffer.slice(cb.byteOffset, cb.byteOffset + cb.length));
  if (chm.length !== y.length) throw new Error(`chimera wrote ${chm.length} outputs, ORT ${y.length}`);
  const scale = yt.type === 'float32' ? Number(scaleArg) : 1; // integer outputs: steps
  compare('chimera vs onnxruntime', chm, y, scale);
  if (refPath) {
    const ref = npy(refPath).data;
    compare('chimera vs reference', chm, ref, scale);
    compare('onnxruntime vs reference', y, ref, scale);
  }
})().catch((e) => { console.error(e); process.exit(1); });
