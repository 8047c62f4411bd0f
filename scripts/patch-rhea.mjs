#!/usr/bin/env node
// Applied on every `npm ci` / `npm install` (package.json "postinstall").
//
// rhea 3.0.5 batches dispositions in write_dispositions (lib/session.js). When a run of deliveries
// starts with a single one, it skips the outcome comparison, so a rejection directly after one
// accepted delivery can be sent as "accepted" (the client then waits for a reply that never comes).
// The fix is the upstream one: compare the outcomes of every delivery added to a run.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const file = require.resolve('rhea/lib/session.js');
const BUGGY = "if ((first !== last && !message.are_outcomes_equivalent(last.state, delivery.state)) || last.settled !== delivery.settled || next_id !== delivery.id) {";
const FIXED = "if (!message.are_outcomes_equivalent(last.state, delivery.state) || last.settled !== delivery.settled || next_id !== delivery.id) {";

const source = readFileSync(file, 'utf8');
if (source.includes(FIXED)) {
  console.log('rhea: disposition batching fix already present');
} else if (source.includes(BUGGY)) {
  writeFileSync(file, source.replace(BUGGY, FIXED));
  console.log('rhea: patched lib/session.js (disposition batching compares every outcome)');
} else {
  console.error(`rhea: ${file} has neither the known faulty nor the fixed line; review scripts/patch-rhea.mjs for this rhea version`);
  process.exit(1);
}
