/**
 * Fused recurrent kernels for tfjs models (`lstmc/runtime/fused`): LSTM, GRU and SimpleRNN layers run all
 * time steps in one WebAssembly SIMD call (threaded over the batch), forward and backward.
 *
 *   import { fuseRecurrentLayers } from 'lstmc/runtime/fused';
 *   const model = buildMyModel();          // e.g. a module from `lstmc compile`
 *   fuseRecurrentLayers(model);            // model.fit / predict now run on the kernels
 *
 * The model stays a plain tfjs model (saves and loads as usual). Layers the kernels do not cover keep
 * tfjs's implementation; the report says which and why.
 */
export { fuseRecurrentLayers, unfuseRecurrentLayers, describeFusion, type FuseReport } from './layer.js';
export { fusedUnavailableReason } from './wasm.js';
