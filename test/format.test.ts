import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../base/diagnostics.js';
import {
  escapeGithubData,
  escapeGithubProperty,
  formatDiagnostics,
  formatGithub,
  formatJson,
  formatPretty,
  formatSarif,
  sarifUri,
  shouldUseColor,
  toSarif,
} from '../cli/format.js';

const SOURCE = ['model A {', '  input x: [5, 10]', '  lstm(25)', '  lstm(10)', '}', ''].join('\n');

const rank: Diagnostic = {
  file: 'specs/a.lstm',
  line: 4,
  column: 3,
  endLine: 4,
  endColumn: 11,
  severity: 'error',
  code: 'LSTM3001',
  message: 'LSTM expects a 3D input [batch, timeSteps, features], but its input has shape [batch, 25].',
  hint: 'Add returnSequences: true to the previous recurrent layer.',
};
const unused: Diagnostic = {
  file: 'specs/a.lstm',
  line: 2,
  column: 9,
  endLine: 2,
  endColumn: 10,
  severity: 'warning',
  code: 'LSTM2016',
  message: 'Value "x" is never used.',
};
const other: Diagnostic = {
  file: 'b\\c.yaml',
  line: 1,
  column: 1,
  endLine: 1,
  endColumn: 5,
  severity: 'info',
  code: 'LSTM2016',
  message: 'note: 100%, a,b: c\r\nsecond line',
};
const sources = new Map([['specs/a.lstm', SOURCE]]);

describe('pretty', () => {
  it('prints location, severity, code, message, frame with carets, hint and summary', () => {
    const out = formatPretty([rank], sources, { fileCount: 1 });
    expect(out).toBe(
      [
        'specs/a.lstm:4:3 error LSTM3001 LSTM expects a 3D input [batch, timeSteps, features], but its input has shape [batch, 25].',
        '  3 |   lstm(25)',
        '> 4 |   lstm(10)',
        '    |   ^^^^^^^^',
        '  5 | }',
        '  hint: Add returnSequences: true to the previous recurrent layer.',
        '',
        '1 error, 0 warnings in 1 file',
        '',
      ].join('\n'),
    );
  });

  it('sorts by file and position and pluralises the summary', () => {
    const out = formatPretty([rank, unused], sources, { fileCount: 3 });
    expect(out.indexOf('specs/a.lstm:2:9 warning LSTM2016')).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('specs/a.lstm:2:9')).toBeLessThan(out.indexOf('specs/a.lstm:4:3'));
    expect(out.trimEnd().split('\n').at(-1)).toBe('1 error, 1 warning in 3 files');
  });

  it('works without sources, for empty spans and for spans past the end of the file', () => {
    const out = formatPretty([{ ...rank, file: 'missing.lstm' }], sources);
    expect(out).toContain('missing.lstm:4:3 error LSTM3001');
    expect(out).not.toContain('|');
    const empty = formatPretty([{ ...rank, endColumn: 3, hint: undefined }], sources);
    expect(empty).toContain('    |   ^');
    const past = formatPretty([{ ...rank, line: 40, endLine: 40 }], sources);
    expect(past).toContain('specs/a.lstm:40:3');
  });

  it('prints a clean summary when there is nothing to report', () => {
    expect(formatPretty([], sources, { fileCount: 2 })).toBe('0 errors, 0 warnings in 2 files\n');
  });

  it('uses ANSI colours only when asked', () => {
    expect(formatPretty([rank], sources)).not.toMatch(/\u001b\[/);
    expect(formatPretty([rank], sources, { color: true })).toMatch(/\u001b\[/);
  });
});

describe('colour decision', () => {
  it('respects NO_COLOR, FORCE_COLOR and the TTY', () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldUseColor({ isTTY: false }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });
});

describe('json', () => {
  it('has exactly the contract shape', () => {
    const parsed = JSON.parse(formatJson([rank, unused, other]));
    expect(Object.keys(parsed)).toEqual(['diagnostics', 'errorCount', 'warningCount']);
    expect(parsed.errorCount).toBe(1);
    expect(parsed.warningCount).toBe(1);
    expect(parsed.diagnostics).toEqual([
      {
        file: 'b/c.yaml',
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 5,
        severity: 'info',
        code: 'LSTM2016',
        message: 'note: 100%, a,b: c\r\nsecond line',
      },
      {
        file: 'specs/a.lstm',
        line: 2,
        column: 9,
        endLine: 2,
        endColumn: 10,
        severity: 'warning',
        code: 'LSTM2016',
        message: 'Value "x" is never used.',
      },
      {
        file: 'specs/a.lstm',
        line: 4,
        column: 3,
        endLine: 4,
        endColumn: 11,
        severity: 'error',
        code: 'LSTM3001',
        message: rank.message,
        hint: rank.hint,
      },
    ]);
    for (const d of parsed.diagnostics) {
      expect(Object.keys(d).slice(0, 8)).toEqual([
        'file',
        'line',
        'column',
        'endLine',
        'endColumn',
        'severity',
        'code',
        'message',
      ]);
    }
  });

  it('is an empty report when clean', () => {
    expect(JSON.parse(formatJson([]))).toEqual({ diagnostics: [], errorCount: 0, warningCount: 0 });
  });
});

describe('sarif', () => {
  it('is a valid SARIF 2.1.0 log for GitHub code scanning', () => {
    const log = JSON.parse(formatSarif([rank, unused, other], { version: '1.2.3' }));
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    const driver = run.tool.driver;
    expect(driver.name).toBe('lstmc');
    expect(driver.version).toBe('1.2.3');
    expect(() => new URL(driver.informationUri)).not.toThrow();
    // one rule per code used, described by the diagnostics table
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual(['LSTM2016', 'LSTM3001']);
    const r3001 = driver.rules.find((r: { id: string }) => r.id === 'LSTM3001');
    expect(r3001.shortDescription.text).toBe('A layer receives an input of the wrong rank.');
    expect(r3001.defaultConfiguration.level).toBe('error');
    const r2016 = driver.rules.find((r: { id: string }) => r.id === 'LSTM2016');
    expect(r2016.defaultConfiguration.level).toBe('warning');

    expect(run.results).toHaveLength(3);
    for (const res of run.results) {
      expect(typeof res.ruleId).toBe('string');
      expect(driver.rules[res.ruleIndex].id).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(typeof res.message.text).toBe('string');
      expect(res.message.text.length).toBeGreaterThan(0);
      const loc = res.locations[0].physicalLocation;
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(loc.artifactLocation.uri).not.toMatch(/\\|^\/|^[a-z]+:/i);
      for (const k of ['startLine', 'startColumn', 'endLine', 'endColumn']) {
        expect(Number.isInteger(loc.region[k])).toBe(true);
        expect(loc.region[k]).toBeGreaterThanOrEqual(1);
      }
    }
    const [first, second, third] = run.results;
    expect(first.level).toBe('note');
    expect(first.locations[0].physicalLocation.artifactLocation.uri).toBe('b/c.yaml');
    expect(second.level).toBe('warning');
    expect(third).toMatchObject({
      ruleId: 'LSTM3001',
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'specs/a.lstm', uriBaseId: '%SRCROOT%' },
            region: { startLine: 4, startColumn: 3, endLine: 4, endColumn: 11 },
          },
        },
      ],
    });
    expect(third.message.text).toContain(rank.message);
    expect(third.message.text).toContain(rank.hint);
  });

  it('encodes URIs and survives unknown codes and bad positions', () => {
    expect(sarifUri('./dir with space/a#b.lstm')).toBe('dir%20with%20space/a%23b.lstm');
    const log = toSarif([{ ...unused, code: 'LSTM0000', line: 0, column: 0, endLine: 0, endColumn: 0 }]);
    expect(log.runs[0]!.tool.driver.rules[0]!.shortDescription.text).toBe('LSTM0000');
    expect(log.runs[0]!.results[0]!.locations[0]!.physicalLocation.region).toEqual({
      startLine: 1,
      startColumn: 1,
      endLine: 1,
      endColumn: 1,
    });
  });

  it('has an empty results list when clean', () => {
    const log = JSON.parse(formatSarif([]));
    expect(log.runs[0].results).toEqual([]);
    expect(log.runs[0].tool.driver.rules).toEqual([]);
  });
});

describe('github', () => {
  it('emits workflow commands', () => {
    expect(formatGithub([rank])).toBe(
      '::error file=specs/a.lstm,line=4,col=3,endLine=4,endColumn=11,title=LSTM3001::' +
        'LSTM expects a 3D input [batch, timeSteps, features], but its input has shape [batch, 25].' +
        '%0Ahint: Add returnSequences: true to the previous recurrent layer.\n',
    );
    expect(formatGithub([unused])).toMatch(
      /^::warning file=specs\/a\.lstm,line=2,col=9,endLine=2,endColumn=10,title=LSTM2016::/,
    );
    expect(formatGithub([])).toBe('');
  });

  it('escapes data and properties per the workflow-command rules', () => {
    expect(escapeGithubData('100% a,b: c\r\nd')).toBe('100%25 a,b: c%0D%0Ad');
    expect(escapeGithubProperty('a:b,c%d\ne')).toBe('a%3Ab%2Cc%25d%0Ae');
    const line = formatGithub([{ ...other, file: 'we,ird:dir/x.yaml' }]);
    expect(line).toBe(
      '::notice file=we%2Cird%3Adir/x.yaml,line=1,col=1,endLine=1,endColumn=5,title=LSTM2016::note: 100%25, a,b: c%0D%0Asecond line\n',
    );
    // exactly one command per diagnostic, no raw newlines inside
    expect(formatGithub([rank, unused, other]).trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('formatDiagnostics', () => {
  it('dispatches on the format name', () => {
    expect(formatDiagnostics('json', [rank])).toBe(formatJson([rank]));
    expect(formatDiagnostics('github', [rank])).toBe(formatGithub([rank]));
    expect(formatDiagnostics('pretty', [rank], sources)).toBe(formatPretty([rank], sources));
    expect(JSON.parse(formatDiagnostics('sarif', [rank])).version).toBe('2.1.0');
  });
});
