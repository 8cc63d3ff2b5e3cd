/**
 * NumPy `.npy` files (format version 1.0), written and read without pickle: the arrays `lstmc data`
 * exports for other trainers, and array input for `lstmc predict`.
 *
 * Layout (numpy/lib/format.py): the magic `\x93NUMPY`, the format version (2 bytes), the header length
 * (uint16 little-endian in 1.0, uint32 in 2.0/3.0), then an ASCII Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (n, ...), }` padded with spaces and ended by `\n`
 * so that the data starts at a multiple of 64 bytes, then the raw values in C order.
 *
 * The writer emits float32 little-endian (`<f4`), C order, version 1.0. The reader accepts versions
 * 1.0-3.0, little- or big-endian numeric dtypes (floats, ints, unsigned ints, bools) in C or Fortran
 * order, and returns float32 values in C order; object arrays (pickles) are refused, never loaded.
 */

export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59); // \x93NUMPY

/** A dense float32 array with its full shape (C order). */
export interface NpyArray {
  values: Float32Array;
  shape: number[];
}

/** A malformed or unsupported `.npy` file; the message says what is wrong (without the file name). */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const ALIGN = 64;
const PREAMBLE = NPY_MAGIC.length + 2 + 2; // magic, version, uint16 header length (version 1.0)

/** The Python tuple literal numpy writes for a shape: `()`, `(3,)`, `(2, 3)`. */
function shapeLiteral(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The padded header dict of a float32 C-order array (what follows the 10-byte preamble). */
export function npyHeader(shape: readonly number[]): string {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new NpyError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  const unpadded = PREAMBLE + dict.length + 1; // + '\n'
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const headerLength = total - PREAMBLE;
  if (headerLength > 0xffff)
    throw new NpyError(`the shape [${shape.join(', ')}] needs a header longer than format 1.0 allows`);
  return dict + ' '.repeat(total - unpadded) + '\n';
}

const littleEndianHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Encodes `values` with `shape` as a `.npy` file (float32 little-endian, C order, version 1.0). */
export function encodeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const header = npyHeader(shape);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length)
    throw new NpyError(`shape [${shape.join(', ')}] holds ${count} value(s), but ${values.length} were given`);
  const offset = PREAMBLE + header.length;
  const out = new Uint8Array(offset + values.length * 4);
  out.set(NPY_MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i);
  if (littleEndianHost) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  } else {
    const view = new DataView(out.buffer, offset);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Reading

type HeaderValue = string | boolean | number[];

/** Parses the header's Python dict literal: string keys; string, bool or int-tuple values. No eval. */
function parseHeaderDict(text: string): Record<string, HeaderValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new NpyError(`malformed header (${what} at offset ${i}): ${JSON.stringify(text.trim())}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c) fail(`expected "${c}"`);
    i++;
  };
  const str = (): string => {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') return fail('expected a string');
    const end = text.indexOf(q, i + 1);
    if (end < 0) fail('unterminated string');
    const s = text.slice(i + 1, end);
    if (s.includes('\\')) fail('escapes are not supported');
    i = end + 1;
    return s;
  };
  const value = (): HeaderValue => {
    ws();
    if (text[i] === "'" || text[i] === '"') return str();
    for (const [word, v] of [
      ['True', true],
      ['False', false],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    if (text[i] === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ')') break;
        const m = /^\d+L?/.exec(text.slice(i)) ?? fail('expected a dimension');
        i += m[0].length;
        dims.push(Number(m[0].replace('L', '')));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') fail('expected "," or ")"');
      }
      i++;
      return dims;
    }
    return fail('unsupported value');
  };
  const out: Record<string, HeaderValue> = {};
  expect('{');
  for (;;) {
    ws();
    if (text[i] === '}') break;
    const k = str();
    expect(':');
    out[k] = value();
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('expected "," or "}"');
  }
  i++;
  ws();
  if (i !== text.length) fail('text after the dict');
  return out;
}

/** dtype (without the byte-order character) → byte size and reader. */
const DTYPES: Readonly<Record<string, { size: number; get: (v: DataView, at: number, le: boolean) => number }>> = {
  f2: { size: 2, get: (v, at, le) => halfToFloat(v.getUint16(at, le)) },
  f4: { size: 4, get: (v, at, le) => v.getFloat32(at, le) },
  f8: { size: 8, get: (v, at, le) => v.getFloat64(at, le) },
  i1: { size: 1, get: (v, at) => v.getInt8(at) },
  i2: { size: 2, get: (v, at, le) => v.getInt16(at, le) },
  i4: { size: 4, get: (v, at, le) => v.getInt32(at, le) },
  i8: { size: 8, get: (v, at, le) => Number(v.getBigInt64(at, le)) },
  u1: { size: 1, get: (v, at) => v.getUint8(at) },
  u2: { size: 2, get: (v, at, le) => v.getUint16(at, le) },
  u4: { size: 4, get: (v, at, le) => v.getUint32(at, le) },
  u8: { size: 8, get: (v, at, le) => Number(v.getBigUint64(at, le)) },
  b1: { size: 1, get: (v, at) => (v.getUint8(at) !== 0 ? 1 : 0) },
};

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 0x1f) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** What the header of a `.npy` file says. */
export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/** Reads and validates the preamble and header of a `.npy` file. */
export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < PREAMBLE || NPY_MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError('not a NumPy .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0)
    throw new NpyError(`unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new NpyError('truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  const dataOffset = start + headerLength;
  if (dataOffset > bytes.length) throw new NpyError('truncated header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  const dict = parseHeaderDict(text);
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (typeof descr !== 'string')
    throw new NpyError("the header has no 'descr' string (structured arrays are not supported)");
  if (typeof fortranOrder !== 'boolean') throw new NpyError("the header has no 'fortran_order' boolean");
  if (!Array.isArray(shape)) throw new NpyError("the header has no 'shape' tuple");
  for (const k of Object.keys(dict))
    if (k !== 'descr' && k !== 'fortran_order' && k !== 'shape') throw new NpyError(`unexpected header key '${k}'`);
  return { version: [major, minor], descr, fortranOrder, shape, dataOffset };
}

/** Decodes a `.npy` file into float32 values in C order. Throws NpyError on anything it cannot read. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  const h = readNpyHeader(bytes);
  const m = /^([<>|=])([a-z]\d+)$/.exec(h.descr);
  const dtype = m ? DTYPES[m[2]!] : undefined;
  if (!m || !dtype) {
    const what = h.descr.includes('O')
      ? 'object arrays (pickles) are never loaded'
      : 'expected a numeric dtype such as <f4, <f8, <i4 or |b1';
    throw new NpyError(`unsupported dtype '${h.descr}': ${what}`);
  }
  const le = m[1] !== '>' && (m[1] !== '=' || littleEndianHost);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const need = count * dtype.size;
  if (!Number.isSafeInteger(need) || bytes.length - h.dataOffset < need) {
    throw new NpyError(
      `truncated data: shape (${h.shape.join(', ')}) of '${h.descr}' needs ${need} bytes, the file has ${bytes.length - h.dataOffset}`,
    );
  }
  if (bytes.length - h.dataOffset > need)
    throw new NpyError(`${bytes.length - h.dataOffset - need} byte(s) after the data`);
  let values: Float32Array;
  if (h.descr === '<f4' && littleEndianHost && (bytes.byteOffset + h.dataOffset) % 4 === 0) {
    values = new Float32Array(bytes.buffer, bytes.byteOffset + h.dataOffset, count).slice();
  } else {
    values = new Float32Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, need);
    for (let i = 0; i < count; i++) values[i] = dtype.get(view, i * dtype.size, le);
  }
  if (h.fortranOrder && h.shape.length > 1) values = fortranToC(values, h.shape);
  return { values, shape: h.shape };
}

/** Reorders column-major (Fortran) values into row-major (C) order. */
function fortranToC(src: Float32Array, shape: readonly number[]): Float32Array {
  const n = shape.length;
  const out = new Float32Array(src.length);
  // Fortran strides: the first axis varies fastest.
  const fStrides: number[] = [];
  let s = 1;
  for (let k = 0; k < n; k++) {
    fStrides.push(s);
    s *= shape[k]!;
  }
  const idx = new Array<number>(n).fill(0);
  for (let c = 0; c < out.length; c++) {
    let f = 0;
    for (let k = 0; k < n; k++) f += idx[k]! * fStrides[k]!;
    out[c] = src[f]!;
    // advance the C-order multi-index (last axis fastest)
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}
