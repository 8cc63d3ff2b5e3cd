/**
 * `lstmc graph FILE [--model NAME] [-o model.svg|model.dot|model.png] [--format dot|svg|png] [--param ...]`
 *
 * The model as a diagram, as Keras `plot_model(show_shapes=True)`: the graph description and its DOT
 * text come from the checked IR (compiler/graph.ts); Graphviz (WASM) lays it out and resvg rasterises
 * PNG (cli/graph-render.ts, imported only here, in the action). Without `-o` the DOT text (or the
 * `--format`) goes to stdout. Writes are atomic.
 *
 * Exit codes: 0 written; 1 spec errors (located diagnostics) or an output that cannot be written;
 * 2 usage errors (unknown model, unknown output format).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { IRModel } from '../compiler/ir.js';
import { nodeAtomicFs, writeFileAtomic, type AtomicFs } from './atomic.js';
import { checkOneSpec, paramOption } from './check-command.js';
import { UsageError } from './files.js';

export const GRAPH_FORMATS = ['dot', 'svg', 'png'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

const EXTENSIONS: Readonly<Record<string, GraphFormat>> = { '.dot': 'dot', '.gv': 'dot', '.svg': 'svg', '.png': 'png' };

/** The output format: `--format`, else the extension of `-o`, else DOT. */
export function graphFormat(output: string | undefined, format: GraphFormat | undefined): GraphFormat {
  if (format !== undefined) return format;
  if (output === undefined) return 'dot';
  const ext = path.extname(output).toLowerCase();
  const f = EXTENSIONS[ext];
  if (f === undefined)
    throw new UsageError(
      `cannot tell the graph format from "${output}": use a .svg, .png, .dot or .gv file, or --format ${GRAPH_FORMATS.join('|')}`,
    );
  return f;
}

/** The one model of a checked file: `--model NAME`, or the only one. */
export function pickModel(models: IRModel[], name: string | undefined, display: string): IRModel {
  const names = models.map((m) => m.name).join(', ');
  if (name !== undefined) {
    const m = models.find((x) => x.name === name);
    if (!m) throw new UsageError(`no model named "${name}" in ${display}${names !== '' ? ` (models: ${names})` : ''}`);
    return m;
  }
  if (models.length > 1)
    throw new UsageError(`${display} defines ${models.length} models (${names}); choose one with --model NAME`);
  const m = models[0];
  if (!m) throw new UsageError(`${display} defines no model`);
  return m;
}

/** The bytes of a graph in a format: DOT text, SVG text or PNG. Loads the WASM renderers only for svg/png. */
export async function renderGraph(model: IRModel, format: 'dot' | 'svg'): Promise<string>;
export async function renderGraph(model: IRModel, format: GraphFormat): Promise<string | Uint8Array>;
export async function renderGraph(model: IRModel, format: GraphFormat): Promise<string | Uint8Array> {
  const { graphToDot, modelGraph } = await import('../compiler/graph.js');
  const dot = graphToDot(modelGraph(model));
  if (format === 'dot') return dot;
  const { dotToSvg, svgToPng } = await import('./graph-render.js');
  const svg = await dotToSvg(dot);
  return format === 'svg' ? svg : svgToPng(svg);
}

/** The atomic writer of cli/atomic.ts for bytes: its temp name, fsync, rename and clean-up, with binary content. */
function bytesFs(bytes: Uint8Array): AtomicFs {
  return {
    ...nodeAtomicFs,
    async writeFile(file) {
      const fh = await fsp.open(file, 'wx', 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
  };
}

/** Writes text or bytes to `file` atomically; an error names the path and the reason, without a stack. */
export async function writeOutput(file: string, data: string | Uint8Array): Promise<string | null> {
  try {
    if (typeof data === 'string') await writeFileAtomic(file, data);
    else await writeFileAtomic(file, '', bytesFs(data));
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === 'ENOENT'
        ? 'no such directory'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'it is a directory'
            : err.code === 'ENOTDIR'
              ? 'a parent is not a directory'
              : err.message;
    return `cannot write ${file}: ${reason}`;
  }
}

interface GraphCliOptions {
  model?: string;
  output?: string;
  format?: GraphFormat;
  param?: Record<string, string>;
}

export function registerGraphCommand(program: Command): Command {
  return program
    .command('graph')
    .description('draw a model as a diagram (layers with shapes and params; DOT, SVG or PNG), like Keras plot_model')
    .argument('<file>', 'a .lstm or YAML spec; - for stdin')
    .option('--model <name>', 'the model to draw (when the file has several)')
    .option('-o, --output <file>', 'write model.svg, model.png or model.dot (atomically) instead of DOT on stdout')
    .addOption(
      new Option('--format <format>', 'output format (default: from the -o extension, else dot)').choices(
        GRAPH_FORMATS,
      ),
    )
    .addOption(paramOption())
    .action(async (input: string, opts: GraphCliOptions) => {
      const format = graphFormat(opts.output, opts.format);
      if (opts.output === undefined && format === 'png' && process.stdout.isTTY === true)
        throw new UsageError('PNG is binary: write it with -o model.png (or redirect stdout)');
      const checked = await checkOneSpec(input, opts.param !== undefined ? { params: opts.param } : {});
      if (!checked) return;
      const model = pickModel(checked.result.models, opts.model, checked.file.display);
      const data = await renderGraph(model, format);
      if (opts.output === undefined) {
        process.stdout.write(data);
        process.exitCode = 0;
        return;
      }
      const failed = await writeOutput(opts.output, data);
      if (failed !== null) {
        process.stderr.write(`lstmc: error: ${failed}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `Wrote ${opts.output}: ${model.name}, ${model.nodes.length} layer${model.nodes.length === 1 ? '' : 's'}\n`,
      );
      process.exitCode = 0;
    });
}
