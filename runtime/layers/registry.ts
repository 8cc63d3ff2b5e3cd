/**
 * Registration of lstmc's own TF.js layer classes (runtime/layers/index.ts lists their factories).
 */
import * as tf from '@tensorflow/tfjs';

const CLASS_NAMES = new Set<string>();

/**
 * Registers a class for serialization under its static `className` (what `model.json` records). Registering again
 * (two copies of a module in one process: sources and the built package) replaces the entry, as tfjs does.
 */
export function registerLstmcClass(
  cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable> & { className: string },
): void {
  tf.serialization.registerClass(cls);
  CLASS_NAMES.add(cls.className);
}

/** The class names of lstmc's own layers registered so far (what a `model.json` may name). */
export function lstmcClassNames(): string[] {
  return [...CLASS_NAMES].sort();
}

/**
 * A tfjs class that tfjs does not export by name (GRUCell, Conv1D, Bidirectional), from the serialization registry
 * where tfjs registers it under its class name. Throws when tfjs has none (a tfjs version without it: a bug here).
 */
export function tfjsRegisteredClass(name: string): unknown {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown] | undefined>;
  const entry = map[name];
  if (!entry) throw new Error(`tfjs has no registered class ${name}`);
  return entry[0];
}
