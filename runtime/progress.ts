/**
 * Keras-like progress: on a terminal a bar per epoch (cli-progress) with running loss/metrics and the
 * epoch's final line kept; otherwise (CI logs, pipes) one plain line per epoch.
 *
 * Times: every epoch of a run is shown in one unit (the one its first epoch needed: `845ms` or `2.3s`),
 * so epochs compare at a glance.
 *
 * The terminal is never left changed: the bar truncates its line to the terminal's width itself
 * instead of turning line wrapping off (cli-progress's default sends ESC[?7l and restores it only
 * when the bar is stopped, so an interrupted process left wrapping off).
 */
import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressSink {
  epochBegin(epoch: number, epochs: number, batches: number): void;
  batchEnd(batch: number, logs: Record<string, number>): void;
  epochEnd(epoch: number, epochs: number, logs: Record<string, number>, ms: number): void;
  message(line: string): void;
  close(): void;
}

export function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'batch' && k !== 'size')
    .map(([k, v]) => `${k}: ${formatNumber(v)}`)
    .join(' - ');
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

/** A duration in a unit chosen once (by the first value) and kept: `845ms`, `1203ms`, or `2.3s`, `0.9s`. */
export function timeFormatter(): (ms: number) => string {
  let unit: 'ms' | 's' | null = null;
  return (ms: number) => {
    unit ??= ms >= 1000 ? 's' : 'ms';
    return unit === 'ms' ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
  };
}

export function createProgress(
  mode: ProgressMode,
  out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stdout,
): ProgressSink {
  const tty = Boolean((out as { isTTY?: boolean }).isTTY);
  const m = mode === 'auto' ? (tty ? 'bar' : 'lines') : mode;
  const write = (s: string) => void out.write(s);
  const epochTime = timeFormatter();
  const stepTime = timeFormatter();
  if (m === 'none') {
    return { epochBegin() {}, batchEnd() {}, epochEnd() {}, message: (l) => write(l + '\n'), close() {} };
  }
  if (m === 'lines') {
    return {
      epochBegin() {},
      batchEnd() {},
      epochEnd(epoch, epochs, logs, ms) {
        write(`Epoch ${epoch + 1}/${epochs} - ${epochTime(ms)} - ${formatLogs(logs)}\n`);
      },
      message: (l) => write(l + '\n'),
      close() {},
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  let started = 0;
  let total = 0;
  // Running means over the epoch, as Keras shows them.
  let sums: Record<string, number> = {};
  let count = 0;
  const bar30 = '='.repeat(30);
  return {
    epochBegin(epoch, epochs, batches) {
      write(`Epoch ${epoch + 1}/${epochs}\n`);
      bar = new cliProgress.SingleBar(
        {
          format: ' {value}/{total} [{bar}] {duration_formatted} {logs}',
          barCompleteChar: '=',
          barIncompleteChar: '.',
          hideCursor: false,
          clearOnComplete: true,
          stream: out as NodeJS.WriteStream,
          fps: 10,
          barsize: 30,
          // Truncate to the terminal's width instead of sending ESC[?7l (see the top of the file).
          linewrap: true,
        },
        cliProgress.Presets.legacy,
      );
      started = Date.now();
      total = batches;
      sums = {};
      count = 0;
      bar.start(batches, 0, { logs: '' });
    },
    batchEnd(batch, logs) {
      count++;
      for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v;
      bar?.update(batch + 1, {
        logs: formatLogs(Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / count]))),
      });
    },
    epochEnd(_epoch, _epochs, logs, ms) {
      if (bar) {
        bar.stop();
        bar = null;
      }
      const t = ms || Date.now() - started;
      write(
        ` ${total}/${total} [${bar30}] - ${epochTime(t)} ${total > 0 ? `${stepTime(t / total)}/step ` : ''}- ${formatLogs(logs)}\n`,
      );
    },
    message(l) {
      write(l + '\n');
    },
    close() {
      bar?.stop();
      bar = null;
    },
  };
}
