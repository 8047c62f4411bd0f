/**
 * Compares two V8 heap snapshots (`npx tsx bench/heap-diff.ts before.heapsnapshot after.heapsnapshot`,
 * e.g. the two `make soak` writes with SOAK_HEAP_SNAPSHOTS=<dir>): live heap size of each, and the
 * constructors (node names of object nodes, or the node type) whose count or self size grew most.
 * A leak shows as a constructor whose count grows with the load (connections, requests) run
 * between the two snapshots.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function tally(file: string): { total: number; byName: Map<string, { count: number; size: number }> } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const byName = new Map<string, { count: number; size: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    const size = snap.nodes[i + sizeAt] as number;
    total += size;
    const key = type === 'object' || type === 'closure' ? `${type}:${snap.strings[snap.nodes[i + nameAt] as number]}` : `(${type})`;
    const entry = byName.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += size;
    byName.set(key, entry);
  }
  return { total, byName };
}

const [beforeFile, afterFile] = process.argv.slice(2);
if (beforeFile === undefined || afterFile === undefined) throw new Error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot');
const before = tally(beforeFile);
const after = tally(afterFile);
const mib = (bytes: number) => (bytes / 1048576).toFixed(2);
process.stdout.write(`live heap: ${mib(before.total)} MiB → ${mib(after.total)} MiB\n\nconstructor\tcount before\tcount after\tΔ count\tΔ size KiB\n`);
const rows = [...new Set([...before.byName.keys(), ...after.byName.keys()])].map((name) => {
  const b = before.byName.get(name) ?? { count: 0, size: 0 };
  const a = after.byName.get(name) ?? { count: 0, size: 0 };
  return { name, b, a, dCount: a.count - b.count, dSize: a.size - b.size };
});
for (const r of rows.sort((x, y) => y.dSize - x.dSize).slice(0, 40)) {
  process.stdout.write(`${r.name}\t${r.b.count}\t${r.a.count}\t${r.dCount}\t${(r.dSize / 1024).toFixed(1)}\n`);
}
