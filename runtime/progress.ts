/**
 * Keras-like progress: on a terminal a bar per epoch (cli-progress) with running loss/metrics and the
 * epoch's final line kept; otherwise (CI logs, pipes) one plain line per epoch.
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

function fmtTime(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function createProgress(
  mode: ProgressMode,
  out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stdout,
): ProgressSink {
  const tty = Boolean((out as { isTTY?: boolean }).isTTY);
  const m = mode === 'auto' ? (tty ? 'bar' : 'lines') : mode;
  const write = (s: string) => void out.write(s);
  if (m === 'none') {
    return { epochBegin() {}, batchEnd() {}, epochEnd() {}, message: (l) => write(l + '\n'), close() {} };
  }
  if (m === 'lines') {
    return {
      epochBegin() {},
      batchEnd() {},
      epochEnd(epoch, epochs, logs, ms) {
        write(`Epoch ${epoch + 1}/${epochs} - ${fmtTime(ms)} - ${formatLogs(logs)}\n`);
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
        ` ${total}/${total} [${bar30}] - ${fmtTime(t)} ${total > 0 ? `${fmtTime(t / total)}/step ` : ''}- ${formatLogs(logs)}\n`,
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
