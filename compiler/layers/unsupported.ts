/**
 * Keras / TF.js layers that people bring from published models but lstmc does not implement yet.
 * A call to one is "not supported" (LSTM2021), not "unknown, did you mean conv2d" (LSTM2001).
 * This is a list of names, not per-layer knowledge: a layer that lands moves into the table and
 * leaves this list (test/invariants.test.ts checks the two never overlap).
 */
export const UNSUPPORTED_LAYERS: Readonly<Record<string, string>> = {
  convLstm1d:
    'TF.js has no ConvLSTM1D; convLstm2d over frames of one row ([T, 1, cols, channels], kernelSize: [1, k]) computes the same.',
  averagePooling3d: '3-D pooling is planned; timeDistributed(averagePooling2d(...)) pools every frame.',
  conv2dTranspose: 'Transposed convolutions are not supported.',
  separableConv1d: 'Separable convolutions are not supported.',
  separableConv2d: 'Separable convolutions are not supported.',
  depthwiseConv2d: 'Depthwise convolutions are not supported.',
  upSampling1d: 'Up-sampling layers are not supported.',
  upSampling2d: 'Up-sampling layers are not supported.',
  zeroPadding1d: 'Padding layers are not supported; use padding: same on the convolution.',
  zeroPadding2d: 'Padding layers are not supported; use padding: same on the convolution.',
  cropping1d: 'Cropping layers are not supported.',
  cropping2d: 'Cropping layers are not supported.',
  spatialDropout1d: 'Spatial dropout is not supported; dropout(rate) drops single units.',
  gaussianDropout: 'Noise layers are not supported.',
  alphaDropout: 'Noise layers are not supported.',
  lambda: 'Lambda layers run arbitrary Python and cannot be expressed in a spec.',
  dot: 'The dot merge layer is not supported yet.',
  subtract: 'The subtract merge layer is not supported yet.',
  minimum: 'The minimum merge layer is not supported yet.',
  maximum: 'The maximum merge layer is not supported yet.',
  leakyReLU:
    'Use dense(..., activation: ...) or activation(...) with a supported activation; leakyReLU is not supported yet.',
  prelu: 'PReLU is not supported yet.',
  elu: 'Use activation(elu).',
  softmax: 'Use activation(softmax) or dense(n, activation: softmax).',
  reLU: 'Use activation(relu).',
  thresholdedReLU: 'ThresholdedReLU is not supported.',
  rnn: 'Generic RNN cells are not supported; use lstm, gru or simpleRNN.',
  stackedRNNCells: 'Stacked cells are not supported; stack lstm layers with returnSequences: true.',
  lstmCell: 'Cells are not layers here; use lstm(units).',
  gruCell: 'Cells are not layers here; use gru(units).',
  simpleRNNCell: 'Cells are not layers here; use simpleRNN(units).',
  inputLayer: 'Declare inputs with `input x: [T, F]` (YAML: `inputs: {x: [T, F]}`), not as a layer.',
};
