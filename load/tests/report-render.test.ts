/**
 * Renders a load report in headless Chromium (Debian's `chromium`) and checks
 * that the browser drew every chart: the charts are drawn by the report's own
 * inline script, so this proves the HTML is self-contained and its script
 * runs. Plain Node test (`npm run test:load`), not workerd: it needs a browser.
 * Installs chromium with apt-get only when it is missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Recorder } from "../lib/recorder.ts";
import { buildReport } from "../lib/report.ts";
import { renderHtml } from "../lib/report-html.ts";

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
let dir = "";
let chromium = "";

function findChromium(): string {
  for (const c of ["chromium", "chromium-browser"]) {
    const r = spawnSync("sh", ["-c", `command -v ${c}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return "";
}

/** A report with a known shape: 30 s of traffic, two error codes, resource samples, a stress stage table. */
function sampleReport(): string {
  const rec = new Recorder();
  const base = rec.startedAt;
  for (let t = 0; t < 30; t++) {
    for (let i = 0; i < 50; i++) rec.step(i % 3 ? "product.get" : "checkout", 5 + (i % 20) + t, "200", false, base + t * 1000 + i * 10);
    if (t % 5 === 0) rec.step("checkout", 80, "409 OUT_OF_STOCK", true, base + t * 1000 + 500);
    if (t === 20) rec.step("checkout", 30_000, "NETWORK TIMEOUT", true, base + t * 1000 + 600);
    rec.journeyDone(true, base + t * 1000 + 900);
  }
  rec.check("exactly K paid orders", true, "100 orders for 100 units");
  const resources = Array.from({ length: 30 }, (_, t) => ({ t, cpu: { workerd: 40 + t, postgres: 20, loadgen: 15 }, rssMb: { workerd: 180, postgres: 90, loadgen: 70 } }));
  const report = buildReport({
    recorder: rec,
    scenario: "shopper",
    profile: "stress",
    target: "http://127.0.0.1:8788",
    startedAt: new Date("2026-01-01T00:00:00Z"),
    unfinished: 0,
    slo: [{ slo: "p95 latency (all requests)", threshold: "<= 500 ms", actual: "25 ms", ok: true }],
    resources,
    stages: [{ label: "10/s", rate: 10, fromS: 0, toS: 30, rps: 50, errorRate: 0.001, p95: 25, p99: 40, ok: true }],
    findings: ["Breaking point: 10 journeys/s (test data)."],
  });
  return renderHtml(report);
}

before(() => {
  chromium = findChromium();
  if (!chromium && existsSync("/usr/bin/apt-get")) {
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    chromium = findChromium();
  }
  dir = mkdtempSync(join(tmpdir(), "edgeshop-report-"));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a load report renders in headless Chromium with every chart drawn", () => {
  assert.ok(chromium, "chromium is not installed and apt-get could not install it");
  const html = sampleReport();
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127\.0\.0\.1|www\.w3\.org)/, "the report must not load anything from the network");
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  const profile = join(dir, "profile");
  const run = (extra: string[]) =>
    spawnSync(chromium, [...FLAGS, `--user-data-dir=${profile}`, "--virtual-time-budget=5000", ...extra, `file://${file}`], { encoding: "utf8", timeout: 90_000, maxBuffer: 32 * 1024 * 1024 });
  const dom = run(["--dump-dom"]);
  assert.equal(dom.status, 0, `chromium failed: ${dom.stderr}`);
  const out = dom.stdout;
  assert.match(out, /<body[^>]*data-charts-ready="true"/, "the chart script did not finish");
  for (const chart of ["throughput", "latency", "cpu", "memory"]) {
    const svg = new RegExp(`<svg[^>]*id="chart-${chart}"[^>]*>([\\s\\S]*?)</svg>`).exec(out);
    assert.ok(svg, `chart ${chart} missing`);
    assert.match(svg[0], /data-drawn="[1-9]/, `chart ${chart} drew no series`);
    const paths = [...(svg[1] ?? "").matchAll(/<path d="M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){5,}/g)];
    assert.ok(paths.length >= 3, `chart ${chart} has ${paths.length} drawn lines`);
  }
  const errors = /<svg[^>]*id="chart-errors"[^>]*>([\s\S]*?)<\/svg>/.exec(out);
  assert.equal([...(errors?.[1] ?? "").matchAll(/<rect [^>]*data-bar="/g)].length, 2, "errors chart should have one bar per error code");
  const png = join(dir, "report.png");
  const shot = run([`--screenshot=${png}`, "--window-size=1200,1800", "--hide-scrollbars"]);
  assert.equal(shot.status, 0, `screenshot failed: ${shot.stderr}`);
  assert.ok(statSync(png).size > 20_000, "the screenshot is suspiciously small (blank page?)");
  assert.ok(readFileSync(png).subarray(1, 4).toString() === "PNG");
});
