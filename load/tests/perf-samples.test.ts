/**
 * load/perf-breakdown.ts's reading of `perf script` output: frames leaf
 * first, one part per sample (an enclosing part such as garbage collection
 * wins wherever it sits; otherwise the first named frame from the leaf up).
 * Plain Node test (`npm run test:load`); it needs no perf.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { categoryOf, samplesOf } from "../lib/perf-samples.ts";

const SCRIPT = `workerd  9747 [000] 100.000001:    1001001 cpu-clock:ppp:
\t    5601a1 sqlite3VdbeExec+0x1f2 (/node_modules/workerd)
\t    5601b2 workerd::api::SqlStorage::exec+0x10 (/node_modules/workerd)
\t    7f0001 JS:^saveState index.js:27664:19+0x9f (/tmp/perf-9747.map)

workerd  9747 [000] 100.001002:    1001001 cpu-clock:ppp:
\t    7f0002 JS:+logCall index.js:13488:17+0x11 (/tmp/perf-9747.map)
\t    5601c3 workerd::IoContext::runImpl+0x20 (/node_modules/workerd)

workerd  9747 [000] 100.002003:    1001001 cpu-clock:ppp:
\t    5601d4 tcmalloc::tcmalloc_internal::alloc_small+0x5 (/node_modules/workerd)
\t    5601e5 v8::internal::ScavengerCollector::CollectGarbage+0x30 (/node_modules/workerd)
\t    7f0003 JS:+fetch index.js:93:14+0x1 (/tmp/perf-9747.map)

workerd  9747 [000] 100.003004:    1001001 cpu-clock:ppp:
\t    7f0004 [unknown] ([unknown])
\t    5601f6 kj::_::TransformPromiseNodeBase::get+0x8 (/node_modules/workerd)

workerd  9747 [000] 100.004005:    1001001 cpu-clock:ppp:
\t    560207 unixOpen+0x12 (/node_modules/workerd)
\t    560218 sqlite3BtreeOpen+0x6cc (/node_modules/workerd)
\t    560229 workerd$server$cxxbridge1$worker_new_actor+0x4 (/node_modules/workerd)
`;

test("perf script output becomes one frame list per sample, leaf first, offsets dropped", () => {
  const samples = samplesOf(SCRIPT);
  assert.equal(samples.length, 5);
  assert.deepEqual(samples[0], ["sqlite3VdbeExec (/node_modules/workerd)", "workerd::api::SqlStorage::exec (/node_modules/workerd)", "JS:^saveState index.js:27664:19 (/tmp/perf-9747.map)"]);
});

test("each sample counts in exactly one part", () => {
  const parts = samplesOf(SCRIPT).map(categoryOf);
  assert.deepEqual(parts, [
    "Durable Object SQLite",
    "JavaScript (edgeshop, libraries, V8 builtins)",
    "garbage collection",
    "JavaScript (unsymbolised: start serve:bench with --perf-map)",
    "Durable Object created or closed (its SQLite file)",
  ]);
});
