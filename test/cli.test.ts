/**
 * End-to-end tests of the `lstmc` binary: spawn `node dist/cli/main.js` (built by `npm test`) on
 * temporary spec files and check exit codes and the machine-readable outputs (LANGUAGE.md 4-5).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

const CLEAN = `# a clean spec
model VanillaEcho {
  input x: [5, 10]
  lstm(25)
  dense(10, activation: softmax)
}
`;
const RANK = `model Broken {
  input x: [5, 10]
  lstm(25)
  lstm(10)
}
`;
const WARN = `model Clip {
  input x: [5, 10]
  lstm(25)
  dense(10, activation: softmax)
  train {
    loss: categoricalCrossentropy
    optimizer: adam
    clipNorm: 1
    clipValue: 0.5
  }
}
`;
const PARAM = `model P {
  param units = 25
  input x: [5, 10]
  lstm(units)
  dense(10, activation: softmax)
}
`;
const YAML = `model: AdditionSeq2Seq
inputs:
  x: [8, 12]
layers:
  - lstm: 75
  - repeatVector: 2
  - lstm: {units: 50, returnSequences: true}
  - timeDistributed: {dense: {units: 12, activation: softmax}}
`;

let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lstmc(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', LSTMC_DEBUG: '', ...options.env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(rel: string, text: string): string {
  const full = path.join(dir, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  return full;
}

function json(run: Run): { diagnostics: Array<Record<string, unknown>>; errorCount: number; warningCount: number } {
  return JSON.parse(run.stdout);
}

function expectOneLineUsageError(run: Run): void {
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^lstmc: /);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).toBe('');
}

beforeAll(() => {
  if (!existsSync(MAIN)) {
    // `npm test` builds first; build here too when run on its own (type errors elsewhere still emit).
    spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
  }
  dir = mkdtempSync(path.join(tmpdir(), 'lstmc-cli-'));
  write('clean.lstm', CLEAN);
  write('rank.lstm', RANK);
  write('warn.lstm', WARN);
  write('param.lstm', PARAM);
  write('tree/a/clean.lstm', CLEAN);
  write('tree/b/seq.yaml', YAML);
  write('tree/b/seq2.yml', YAML);
  write('tree/notes.md', 'not a spec: lstm(lstm(');
  write('tree/node_modules/x/rank.lstm', RANK);
  write('globs/one.lstm', CLEAN);
  write('globs/two.lstm', RANK);
  write('globs/three.txt', RANK);
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('lstmc check: exit codes', () => {
  it('exits 0 on a clean spec', () => {
    const r = lstmc(['check', 'clean.lstm']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 errors, 0 warnings in 1 file');
  });

  it('exits 1 with LSTM3001 on lstm(25) then lstm(10), pretty with a code frame', () => {
    const r = lstmc(['check', 'rank.lstm']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^rank\.lstm:4:3 error LSTM3001 /m);
    expect(r.stdout).toContain('> 4 |   lstm(10)');
    expect(r.stdout).toMatch(/\|\s+\^+/);
    expect(r.stdout).toContain('1 error, 0 warnings in 1 file');
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('warnings alone exit 0; --max-warnings makes too many warnings exit 1', () => {
    const plain = lstmc(['check', 'warn.lstm', '--format', 'json']);
    expect(plain.code).toBe(0);
    const report = json(plain);
    expect(report.errorCount).toBe(0);
    expect(report.warningCount).toBeGreaterThanOrEqual(1);
    const n = report.warningCount;
    expect(lstmc(['check', 'warn.lstm', '--max-warnings', String(n)]).code).toBe(0);
    const over = lstmc(['check', 'warn.lstm', '--max-warnings', String(n - 1)]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/too many warnings/);
    expect(lstmc(['check', 'clean.lstm', '--max-warnings', '0']).code).toBe(0);
  });

  it('--quiet hides warnings', () => {
    const r = lstmc(['check', 'warn.lstm', '--quiet', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(json(r).diagnostics.filter((d) => d.severity === 'warning')).toEqual([]);
    const both = lstmc(['check', 'warn.lstm', 'rank.lstm', '-q']);
    expect(both.code).toBe(1);
    expect(both.stdout).not.toContain('LSTM4009');
    expect(both.stdout).toContain('LSTM3001');
  });
});

describe('lstmc check: usage errors exit 2 with one line', () => {
  it('unknown flag', () => expectOneLineUsageError(lstmc(['check', '--bogus', 'clean.lstm'])));
  it('unknown format', () => expectOneLineUsageError(lstmc(['check', '--format', 'xml', 'clean.lstm'])));
  it('bad --max-warnings', () => expectOneLineUsageError(lstmc(['check', '--max-warnings', 'many', 'clean.lstm'])));
  it('bad --param', () => expectOneLineUsageError(lstmc(['check', '--param', 'novalue', 'clean.lstm'])));
  it('missing file', () => {
    const r = lstmc(['check', 'does-not-exist.lstm']);
    expectOneLineUsageError(r);
    expect(r.stderr).toContain('does-not-exist.lstm');
  });
  it('a missing file among good ones', () => expectOneLineUsageError(lstmc(['check', 'clean.lstm', 'nope.lstm'])));
  it('a glob that matches nothing', () => expectOneLineUsageError(lstmc(['check', 'nothing/**/*.lstm'])));
  it('no files at all', () => expect(lstmc(['check']).code).toBe(2));
  it('unknown command', () => expectOneLineUsageError(lstmc(['frobnicate'])));
  it('no command prints help and exits 2', () => {
    const r = lstmc([]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain('check');
  });
  it('--help and --version exit 0', () => {
    const h = lstmc(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('summary');
    const v = lstmc(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(lstmc(['check', '--help']).stdout).toContain('--max-warnings');
  });
});

describe('lstmc check: inputs', () => {
  it('expands a glob (sorted, deduplicated, forward-slash paths)', () => {
    const r = lstmc(['check', 'globs/*.lstm', 'globs/two.lstm', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report.errorCount).toBeGreaterThanOrEqual(1);
    expect(report.diagnostics.every((d) => d.file === 'globs/two.lstm')).toBe(true);
    expect(report.diagnostics.some((d) => d.code === 'LSTM3001')).toBe(true);
    const pretty = lstmc(['check', 'globs/*.lstm']);
    expect(pretty.stdout).toMatch(/in 2 files\n$/);
  });

  it('walks a directory for .lstm, .yaml and .yml, skipping node_modules and other files', () => {
    const r = lstmc(['check', 'tree']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('in 3 files');
  });

  it('checks YAML specs', () => {
    expect(lstmc(['check', 'tree/b/seq.yaml']).code).toBe(0);
  });

  it('reads - from stdin', () => {
    const ok = lstmc(['check', '-'], { input: CLEAN });
    expect(ok.code).toBe(0);
    const bad = lstmc(['check', '-', '--format', 'json'], { input: RANK });
    expect(bad.code).toBe(1);
    expect(json(bad).diagnostics[0]!.code).toBe('LSTM3001');
  });

  it('reports a file that cannot be read as LSTM9002 and exits 1', () => {
    write('unreadable/ok.lstm', CLEAN);
    symlinkSync(path.join(dir, 'unreadable', 'gone.lstm'), path.join(dir, 'unreadable', 'dangling.lstm'));
    const r = lstmc(['check', 'unreadable', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report.diagnostics).toEqual([
      expect.objectContaining({
        file: 'unreadable/dangling.lstm',
        code: 'LSTM9002',
        severity: 'error',
        line: 1,
        column: 1,
      }),
    ]);
  });

  it('binary input is a front-end diagnostic, not a crash', () => {
    write('binary.lstm', '\u0000\u0001\u0002');
    writeFileSync(path.join(dir, 'binary.lstm'), Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x01]));
    const r = lstmc(['check', 'binary.lstm', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('internal error');
    expect(json(r).errorCount).toBeGreaterThanOrEqual(1);
  });
});

describe('lstmc check: output formats', () => {
  it('json is exactly the contract shape', () => {
    const r = lstmc(['check', 'rank.lstm', 'clean.lstm', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = json(r);
    expect(Object.keys(report)).toEqual(['diagnostics', 'errorCount', 'warningCount']);
    expect(report.errorCount).toBe(report.diagnostics.filter((d) => d.severity === 'error').length);
    const d = report.diagnostics.find((x) => x.code === 'LSTM3001')!;
    expect(d).toMatchObject({ file: 'rank.lstm', line: 4, column: 3, endLine: 4, severity: 'error', code: 'LSTM3001' });
    expect(typeof d.message).toBe('string');
    for (const k of Object.keys(d)) {
      expect(['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'hint']).toContain(k);
    }
  });

  it('json of a clean run', () => {
    const r = lstmc(['check', 'clean.lstm', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(json(r)).toEqual({ diagnostics: [], errorCount: 0, warningCount: 0 });
  });

  it('sarif', () => {
    const r = lstmc(['check', 'rank.lstm', '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('lstmc');
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toContain('LSTM3001');
    expect(run.results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: 'rank.lstm',
      uriBaseId: '%SRCROOT%',
    });
  });

  it('github', () => {
    const r = lstmc(['check', 'rank.lstm', '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=rank\.lstm,line=4,col=3,endLine=4,endColumn=\d+,title=LSTM3001::/);
  });
});

describe('lstmc summary', () => {
  it('prints a Keras-style table', () => {
    const r = lstmc(['summary', 'clean.lstm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Model: "VanillaEcho"');
    expect(r.stdout).toMatch(/lstm_1 \(LSTM\)\s+\(batch, 25\)\s+3,600/);
    expect(r.stdout).toContain('Total params: 3,860');
  });

  it('--json is the contract', () => {
    const r = lstmc(['summary', 'clean.lstm', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      models: [
        {
          name: 'VanillaEcho',
          inputs: [{ name: 'x', shape: [null, 5, 10] }],
          layers: [
            { name: 'lstm_1', type: 'LSTM', outputShape: [null, 25], params: 3600 },
            { name: 'dense_1', type: 'Dense', outputShape: [null, 10], params: 260 },
          ],
          outputs: [{ shape: [null, 10] }],
          totalParams: 3860,
          trainableParams: 3860,
          nonTrainableParams: 0,
        },
      ],
    });
  });

  it('YAML encoder-decoder has 52,212 params', () => {
    const r = lstmc(['summary', 'tree/b/seq.yaml', '--json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout).models[0];
    expect(m.totalParams).toBe(52212);
    expect(m.layers.at(-1).type).toBe('TimeDistributed');
  });

  it('--param overrides a param', () => {
    expect(JSON.parse(lstmc(['summary', 'param.lstm', '--json']).stdout).models[0].layers[0].params).toBe(3600);
    const r = lstmc(['summary', 'param.lstm', '--json', '--param', 'units=30']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).models[0].layers[0].params).toBe(4 * (30 * (10 + 30) + 30));
  });

  it('--model selects a model; an unknown one is a usage error', () => {
    expect(lstmc(['summary', 'clean.lstm', '--model', 'VanillaEcho', '--json']).code).toBe(0);
    expectOneLineUsageError(lstmc(['summary', 'clean.lstm', '--model', 'Nope']));
  });

  it('prints diagnostics to stderr and exits 1 when the spec has errors', () => {
    const r = lstmc(['summary', 'rank.lstm']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('LSTM3001');
  });

  it('missing file exits 2', () => expectOneLineUsageError(lstmc(['summary', 'nope.lstm'])));
});

// ---------------------------------------------------------------- backends (issue 7, bug 7)

const TINY = `model Tiny {
  input x: [5, 10]
  lstm(4)
  dense(10, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam  epochs: 1  batchSize: 32 }
  data { synthetic: echo  samples: 64  length: 5  features: 10  index: 2 }
}
`;
const TF_NODE_INSTALLED = existsSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node'));
/** What tfjs's CPU backend prints on its first use in Node.js. */
const TFJS_BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

describe('lstmc train --backend', () => {
  it.skipIf(TF_NODE_INSTALLED)(
    'node without @tensorflow/tfjs-node: a usage error in one plain line, no tfjs banner',
    () => {
      write('tiny.lstm', TINY);
      const r = lstmc(['train', 'tiny.lstm', '--out', 'runs/tiny-node', '--backend', 'node']);
      expectOneLineUsageError(r);
      expect(r.stderr).toBe(
        'lstmc: --backend node: @tensorflow/tfjs-node is not installed; install it (npm install @tensorflow/tfjs-node) or use --backend auto, wasm or cpu.\n',
      );
      expect(r.stdout + r.stderr).not.toMatch(TFJS_BANNER);
    },
    120_000,
  );

  it('cpu: trains without the tfjs "install our node backend" banner', () => {
    write('tiny.lstm', TINY);
    const r = lstmc(['train', 'tiny.lstm', '--out', 'runs/tiny-cpu', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Tiny: backend cpu · /m);
    expect(r.stdout + r.stderr).not.toMatch(TFJS_BANNER);
  }, 120_000);
});
