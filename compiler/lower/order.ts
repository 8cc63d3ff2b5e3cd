/**
 * Pass 1b: statement order. Each statement comes after the values it reads (forward references
 * between `let`s are allowed); a bare layer line depends on the value-defining statement before it.
 * Source order wherever it is valid. Cycles are reported once and their statements dropped.
 */
import { Diagnostics } from '../../base/diagnostics.js';
import type { Call, Statement } from '../../grammar/ast.js';
import type { ModelState } from './state.js';

export function orderStatements(st: ModelState): Statement[] {
  const stmts = st.decl.statements;
  const definer = new Map<string, number>();
  stmts.forEach((s, i) => {
    if (s.kind === 'input') {
      if (!definer.has(s.name.name)) definer.set(s.name.name, i);
    } else if (s.kind === 'let') {
      for (const t of s.targets) if (t.name !== '_' && !definer.has(t.name)) definer.set(t.name, i);
    }
  });
  const deps: number[][] = stmts.map(() => []);
  const dependOn = (i: number, names: Iterable<string>): void => {
    for (const n of names) {
      const d = definer.get(n);
      if (d !== undefined && d !== i) deps[i]!.push(d);
    }
  };
  let lastValue = -1;
  stmts.forEach((s, i) => {
    if (s.kind === 'layer') {
      if (lastValue >= 0) deps[i]!.push(lastValue);
      dependOn(i, refsInCall(s.call));
      lastValue = i;
    } else if (s.kind === 'let') {
      dependOn(i, [...s.from.map((f) => f.name), ...s.chain.flatMap(refsInCall)]);
      lastValue = i;
    } else if (s.kind === 'input') {
      lastValue = i;
    } else if (s.kind === 'output') {
      dependOn(
        i,
        s.names.map((n) => n.name),
      );
    }
  });
  // Kahn's algorithm, lowest source index first: source order whenever it is valid.
  const n = stmts.length;
  const indeg = new Array<number>(n).fill(0);
  const users: number[][] = stmts.map(() => []);
  deps.forEach((ds, i) => {
    for (const d of new Set(ds)) {
      indeg[i]!++;
      users[d]!.push(i);
    }
  });
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) ready.push(i);
  const out: Statement[] = [];
  const done = new Array<boolean>(n).fill(false);
  while (ready.length > 0) {
    let minIdx = 0;
    for (let k = 1; k < ready.length; k++) if (ready[k]! < ready[minIdx]!) minIdx = k;
    const i = ready[minIdx]!;
    ready[minIdx] = ready[ready.length - 1]!;
    ready.pop();
    done[i] = true;
    out.push(stmts[i]!);
    for (const u of users[i]!) if (--indeg[u]! === 0) ready.push(u);
  }
  if (out.length < n) reportCycles(st, deps, done);
  return out;
}

function reportCycles(st: ModelState, deps: number[][], done: boolean[]): void {
  const stmts = st.decl.statements;
  const reported = new Set<number>();
  for (let i = 0; i < stmts.length; i++) {
    if (done[i] || reported.has(i)) continue;
    const found = findCycle(i, deps, done);
    // A statement downstream of a cycle finds the same cycle again: report it once.
    if (!found || found.some((c) => reported.has(c))) continue;
    found.forEach((c) => reported.add(c));
    // Start the path at the statement that comes first in the source, and point at what it reads.
    const at = found.indexOf(Math.min(...found));
    const cycle = [...found.slice(at), ...found.slice(0, at)];
    const names = cycle.map((c) => stmtName(stmts[c]!));
    const first = stmts[cycle[0]!]!;
    const span = first.kind === 'let' ? first.fromSpan : first.span;
    st.err(
      Diagnostics.Cycle,
      span,
      { path: [...names, names[0]].join(' -> ') },
      'A value cannot depend on itself; break the loop.',
    );
  }
}

/** Names a call reads through `initialState: [h, c]` (at any depth). */
function refsInCall(c: Call): string[] {
  const out: string[] = [];
  for (const a of c.args) {
    if (a.name === 'initialState') {
      const items = a.value.kind === 'list' ? a.value.items : [a.value];
      for (const it of items) if (it.kind === 'ident') out.push(it.name);
    }
    if (a.value.kind === 'call') out.push(...refsInCall(a.value.call));
  }
  return out;
}

function stmtName(s: Statement): string {
  if (s.kind === 'let') return s.targets.map((t) => t.name).join(', ');
  if (s.kind === 'input') return s.name.name;
  if (s.kind === 'layer') return s.call.name;
  return s.kind;
}

function findCycle(start: number, deps: number[][], done: boolean[]): number[] | undefined {
  // DFS through undone statements until we revisit a node on the stack.
  const stack: number[] = [];
  const onStack = new Map<number, number>();
  const visited = new Set<number>();
  const dfs = (i: number): number[] | undefined => {
    onStack.set(i, stack.length);
    stack.push(i);
    visited.add(i);
    for (const d of deps[i]!) {
      if (done[d]) continue;
      if (onStack.has(d)) return stack.slice(onStack.get(d)!).reverse();
      if (!visited.has(d)) {
        const r = dfs(d);
        if (r) return r;
      }
    }
    stack.pop();
    onStack.delete(i);
    return undefined;
  };
  return dfs(start);
}
