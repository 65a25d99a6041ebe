/**
 * Renders a RunReport as one self-contained HTML file: tables rendered here,
 * charts drawn in the browser by CHART_SCRIPT from the report's JSON embedded
 * in the page (no external script, style or font).
 */
import { CHART_SCRIPT } from "./report-charts.ts";
import type { RunReport } from "./report.ts";

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function table(headers: string[], rows: unknown[][], rowClass?: (row: unknown[]) => string): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr class="${rowClass ? rowClass(r) : ""}">${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The whole HTML document for `report`. */
export function renderHtml(report: RunReport): string {
  const m = report.meta;
  const t = report.totals;
  const verdict = report.passed ? `<span class="pass">PASSED</span>` : `<span class="fail">FAILED: ${esc(report.slo.filter((v) => !v.ok).map((v) => v.slo).join(", "))}</span>`;
  const slo = table(["SLO", "threshold", "measured", "verdict"], report.slo.map((v) => [v.slo, v.threshold, v.actual, v.ok ? "pass" : "FAIL"]), (r) => (r[3] === "pass" ? "ok" : "bad"));
  const steps = table(
    ["step", "requests", "req/s", "errors", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms", "outcomes"],
    report.steps.map((s) => [s.name, s.count, s.rps, s.errors, s.p50, s.p90, s.p95, s.p99, s.max, Object.entries(s.outcomes).map(([o, c]) => `${o}: ${c}`).join(", ")]),
  );
  const stages = report.stages?.length
    ? `<h2>Stages</h2>${table(["stage", "offered journeys/s", "from s", "to s", "req/s", "error rate", "p95 ms", "p99 ms", "within SLO"], report.stages.map((s) => [s.label, s.rate, s.fromS, s.toS, s.rps, s.errorRate, s.p95, s.p99, s.ok ? "yes" : "NO"]), (r) => (r[8] === "yes" ? "ok" : "bad"))}`
    : "";
  const findings = report.findings.length ? `<h2>Findings</h2><ul>${report.findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>` : "";
  const samples = Object.keys(report.errorSamples).length
    ? `<h2>Unexpected outcomes: examples</h2>${table(["outcome", "step: body"], Object.entries(report.errorSamples).flatMap(([o, list]) => list.map((b) => [o, b])))}`
    : "";
  const counters = Object.keys(report.counters).length ? `<h2>Counters</h2>${table(["counter", "value"], Object.entries(report.counters))}` : "";
  // "</" inside a script element would end it early.
  const data = JSON.stringify(report).replace(/<\//g, "<\\/");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgeshop load: ${esc(m.scenario)} / ${esc(m.profile)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left}
th{background:#f4f4f5}tr.ok td:last-child{color:#059669}tr.bad td{background:#fef2f2}
.pass{color:#059669;font-weight:bold}.fail{color:#dc2626;font-weight:bold}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.card{border:1px solid #e5e7eb;border-radius:6px;padding:8px}
svg{width:100%;height:auto;display:block}.kpi{display:flex;gap:24px;flex-wrap:wrap}.kpi div{font-size:12px}.kpi b{display:block;font-size:18px}
</style></head><body>
<h1>edgeshop load report: ${esc(m.scenario)} / ${esc(m.profile)}</h1>
<p>${verdict}</p>
<p>Target <code>${esc(m.target)}</code>, started ${esc(m.startedAt)}, ${esc(m.durationS)} s, ${esc(m.cores)} cores (${esc(m.cpus)}), load average at the end ${esc(m.loadAvg.join(" / "))}, Node ${esc(m.node)}.<br>Command: <code>${esc(m.command)}</code></p>
<div class="kpi">
<div><b>${esc(t.requests)}</b>requests</div><div><b>${esc(t.rps)}</b>req/s</div><div><b>${esc(t.journeysCompleted)}/${esc(t.journeysStarted)}</b>journeys completed</div>
<div><b>${esc(t.latency.p50)} / ${esc(t.latency.p95)} / ${esc(t.latency.p99)}</b>p50 / p95 / p99 ms</div><div><b>${esc(t.errors)}</b>unexpected outcomes</div><div><b>${esc(t.fiveXx)}</b>5xx</div><div><b>${esc(t.dropped)}</b>dropped</div>
</div>
<h2>SLO verdicts</h2>${slo}
${findings}
<h2>Charts</h2>
<div class="grid">
<div class="card"><b>Throughput over time</b><svg id="chart-throughput" data-chart="throughput"></svg></div>
<div class="card"><b>Latency percentiles over time (from intended send time)</b><svg id="chart-latency" data-chart="latency"></svg></div>
<div class="card"><b>Unexpected outcomes by code</b><svg id="chart-errors" data-chart="errors"></svg></div>
<div class="card"><b>CPU (percent of one core)</b><svg id="chart-cpu" data-chart="cpu"></svg></div>
<div class="card"><b>Memory (RSS)</b><svg id="chart-memory" data-chart="memory"></svg></div>
</div>
${stages}
<h2>Per endpoint</h2>${steps}
${samples}
${counters}
<script type="application/json" id="report-data">${data}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
