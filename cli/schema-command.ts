/**
 * `lstmc schema [-o FILE]` — print the JSON Schema of the YAML form (compiler/json-schema.ts), for
 * editors: `# yaml-language-server: $schema=<path or URL of lstmc.schema.json>` at the top of a YAML
 * spec gives completion, hovers and validation. The package ships it as `lstmc.schema.json`
 * (`lstmc/schema.json` in `exports`). `-o` writes atomically.
 */
import type { Command } from 'commander';
import { writeFileAtomic } from './atomic.js';

interface SchemaCliOptions {
  output?: string;
}

/** The schema as the package ships it: two-space JSON and a final newline. */
export async function schemaText(): Promise<string> {
  const { yamlJsonSchema } = await import('../compiler/json-schema.js');
  return `${JSON.stringify(yamlJsonSchema(), null, 2)}\n`;
}

export function registerSchemaCommand(program: Command): Command {
  return program
    .command('schema')
    .description('print the JSON Schema of the YAML form (for yaml-language-server and other editors)')
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .action(async (opts: SchemaCliOptions) => {
      const text = await schemaText();
      if (opts.output !== undefined) await writeFileAtomic(opts.output, text);
      else process.stdout.write(text);
    });
}
