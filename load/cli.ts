/**
 * `npm run load -- <scenario> [--profile smoke|load|stress|spike|soak] [options]`
 * `npm run load -- bench [--only a,b] [--duration s]`
 * Runs against `npm run serve:bench` by default; --target URL for another
 * deployment (loopback only unless --allow-remote). Exits 1 naming each
 * broken SLO or invariant, 2 on a usage or setup error.
 */
import { parseArgs } from "node:util";
import { runBench } from "./bench.ts";
import { PROFILES, type ProfileName } from "./lib/profiles.ts";
import { runScenario } from "./lib/run.ts";
import { resolveTarget } from "./lib/target.ts";
import { SCENARIOS } from "./scenarios/index.ts";

const USAGE = `usage: npm run load -- <${Object.keys(SCENARIOS).join("|")}|bench> [--profile ${Object.keys(PROFILES).join("|")}]
  --target URL        gateway to test (default: the running serve:bench, else http://127.0.0.1:8788)
  --allow-remote      permit a non-loopback --target
  --rate N            base arrival rate in journeys/s (profiles scale it)
  --duration S        length of the main stage in seconds
  --customers N       customers to prepare (default 200, flash-sale: --shoppers)
  --shoppers N --units K   flash-sale crowd and stock (default 1000 / 100; smoke 100 / 10)
  --login-share F     share of shopper journeys that log in afresh (default 0.05)
  --max-in-flight N   concurrent journeys before arrivals queue (default 1000)
  --out DIR           report folder (default load/reports)
  bench: --only hello,gateway-floor,product-get,product-list,reserve,checkout,flash-sale,pgbench  --duration S
         (--only trace-sampling: what span lines cost; only when named)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      profile: { type: "string", default: "smoke" },
      target: { type: "string" },
      "allow-remote": { type: "boolean", default: false },
      rate: { type: "string" },
      duration: { type: "string" },
      customers: { type: "string" },
      shoppers: { type: "string" },
      units: { type: "string" },
      "login-share": { type: "string", default: "0.05" },
      "max-in-flight": { type: "string", default: "1000" },
      out: { type: "string", default: "load/reports" },
      only: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const what = positionals[0];
  if (values.help || !what) {
    console.log(USAGE);
    return what ? 0 : 2;
  }
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const { url, local } = resolveTarget(values.target, values["allow-remote"]);
  if (what === "bench") return runBench({ target: url, local, only: values.only?.split(","), durationS: num(values.duration) ?? 10, outDir: values.out });
  const profile = values.profile as ProfileName;
  const smoke = profile === "smoke";
  const shoppers = num(values.shoppers) ?? (smoke ? 100 : 1000);
  const { report, files } = await runScenario({
    scenario: what,
    profile,
    target: url,
    local,
    rate: num(values.rate),
    durationS: num(values.duration),
    customers: num(values.customers) ?? (what === "flash-sale" ? shoppers : 200),
    shoppers,
    units: num(values.units) ?? (smoke ? 10 : 100),
    loginShare: Number(values["login-share"]),
    maxInFlight: Number(values["max-in-flight"]),
    outDir: values.out,
  });
  const t = report.totals;
  console.log(`\n${report.meta.scenario} / ${report.meta.profile}: ${t.requests} requests in ${report.meta.durationS} s (${t.rps} req/s), journeys ${t.journeysCompleted}/${t.journeysStarted}, p50 ${t.latency.p50} ms, p95 ${t.latency.p95} ms, p99 ${t.latency.p99} ms, unexpected ${t.errors}, 5xx ${t.fiveXx}`);
  for (const s of report.steps) console.log(`  ${s.name.padEnd(22)} ${String(s.count).padStart(7)} req  ${String(s.rps).padStart(7)}/s  p50 ${s.p50}  p95 ${s.p95}  p99 ${s.p99} ms  ${JSON.stringify(s.outcomes)}`);
  for (const f of report.findings) console.log(`  finding: ${f}`);
  for (const v of report.slo) console.log(`  ${v.ok ? "pass" : "FAIL"}  ${v.slo}: ${v.actual} (${v.threshold})`);
  console.log(`report: ${files.html}\n        ${files.json}`);
  if (!report.passed) {
    console.error(`SLO broken: ${report.slo.filter((v) => !v.ok).map((v) => `${v.slo} = ${v.actual} (wanted ${v.threshold})`).join("; ")}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`load: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
