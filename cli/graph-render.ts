/**
 * Layout and rendering of a model graph's DOT text (compiler/graph.ts): Graphviz compiled to WASM
 * (`@viz-js/viz`, no native install) for SVG, resvg (`@resvg/resvg-js`, prebuilt from npm) for PNG.
 * Loaded only by `lstmc graph` and `lstmc report`, through `import()`: never at CLI startup.
 */
import { existsSync } from 'node:fs';

type Viz = Awaited<ReturnType<typeof import('@viz-js/viz').instance>>;

let vizInstance: Promise<Viz> | undefined;

function viz(): Promise<Viz> {
  vizInstance ??= import('@viz-js/viz').then((m) => m.instance());
  return vizInstance;
}

/** Graphviz failed on the DOT text: a bug in lstmc's DOT generation, never the user's spec. */
export class GraphRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphRenderError';
  }
}

/** DOT text → SVG text (Graphviz `dot` layout). */
export async function dotToSvg(dot: string): Promise<string> {
  const result = (await viz()).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const errors = result.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim());
    throw new GraphRenderError(`Graphviz could not lay out the graph: ${errors.join('; ') || 'unknown error'}`);
  }
  return result.output;
}

/** Font files resvg may use when the system has no fontconfig setup (Debian's DejaVu, Liberation). */
const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/System/Library/Fonts', 'C:\\Windows\\Fonts'];

/**
 * SVG text → PNG bytes, at `scale` (2: sharp on high-density screens). Text needs a system monospace
 * font: the graph is laid out with Courier metrics, which DejaVu Sans Mono, Liberation Mono and Courier
 * New match.
 */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: true,
      fontDirs: FONT_DIRS.filter((d) => existsSync(d)),
      defaultFontFamily: 'DejaVu Sans Mono',
      sansSerifFamily: 'DejaVu Sans',
      monospaceFamily: 'DejaVu Sans Mono',
    },
  });
  return resvg.render().asPng();
}
