/**
 * The write-path benchmarks: reservations on one hot StockDO (through the
 * bench-probe Worker's CatalogService RPC), checkouts at fixed concurrency
 * with per-step percentiles, and the flash sale.
 */
import { randomBytes } from "node:crypto";
import type { BenchFigure } from "./bench.ts";
import { closedLoop, cpuNote } from "./lib/closed-loop.ts";
import { adminToken, CustomerPool, discoverCatalog } from "./lib/fixtures.ts";
import { HttpClient } from "./lib/http.ts";
import { runOpenModel } from "./lib/open-model.ts";
import { Recorder } from "./lib/recorder.ts";
import { pick } from "./lib/context.ts";
import { runScenario } from "./lib/run.ts";
import type { BenchState } from "./lib/target.ts";
import { addToCart, checkout, clearCart } from "./scenarios/checkout-steps.ts";
import { gcNote } from "./lib/gc-window.ts";

/** Reservations/s on one fresh SKU with a million units: closed-loop max, then p99 at 500/s. */
export async function benchReserve(http: HttpClient, probeUrl: string, durationS: number, figures: BenchFigure[]): Promise<BenchFigure[]> {
  const before = figures.length;
  const token = await adminToken(http);
  const cats = await http.request("GET", "/v1/categories");
  const categoryId = (cats.json as { items: { id: string }[] }).items[0]?.id;
  const sku = `HOT-${Date.now().toString(36).toUpperCase()}`;
  const created = await http.request("POST", "/v1/products", { token, body: { title: `Hot ${sku}`, description: "reservation benchmark", categoryId, variants: [{ sku, title: "One", price: { amount: 100, currency: "USD" }, initialStock: 1_000_000 }] } });
  if (created.status !== 201) throw new Error(`hot SKU create failed: ${created.status} ${created.text.slice(0, 200)}`);
  const probe = new HttpClient(probeUrl, 64);
  try {
    // Through CatalogService (what a checkout does: probe -> catalog -> StockDO), then the StockDO alone (probe -> StockDO).
    for (const [label, route] of [["StockDO reserve via catalog, one hot SKU", "reserve"], ["StockDO reserve direct, one hot SKU", "reserve-object"]] as const) {
      const path = `/${route}?sku=${sku}&ttl=1`; // each hold expires within the run: its expiry is part of the figure, never left for later ones
      const max = await closedLoop(probe, 16, durationS, () => (ctx) => ctx.step("reserve", "GET", path).then(() => undefined));
      const s = max.recorder.overall().summary();
      figures.push({ name: `${label} (max)`, value: max.perSecond, unit: "reservations/s", p50: s.p50, p95: s.p95, p99: s.p99, note: `16 concurrent, ${max.recorder.totals().errors} errors; ${cpuNote(max, s.count, "reservation")}` });
      const rec = new Recorder();
      const since = Date.now();
      await runOpenModel(probe, rec, { stages: [{ durationS, from: 500, to: 500 }], journey: () => (ctx) => ctx.step("reserve", "GET", path).then(() => undefined) });
      const h = rec.overall().summary();
      figures.push({ name: `${label} at 500/s offered`, value: Math.round((h.count / durationS) * 10) / 10, unit: "reservations/s", p50: h.p50, p95: h.p95, p99: h.p99, note: `open model, ${rec.totals().errors} errors${gcNote(since, Date.now())}` });
    }
  } finally {
    probe.close();
  }
  return figures.slice(before);
}

/** A think time between half and one and a half times `meanMs` (0 stays 0). */
function pause(meanMs: number): number {
  return meanMs * (0.5 + Math.random());
}

/**
 * `shoppers` customers each looping add-to-cart + checkout (tok_visa) for durationS.
 * With `thinkMs` 0 they never pause, so the figure is the stack's saturation point
 * (each shopper sends its next step the moment the last one answers); with a think
 * time they pause after each step, as people (and Locust's users) do, so 50 of them
 * are 50 concurrent shoppers rather than 50 request loops. Each pause is drawn
 * between half and one and a half times `thinkMs` (Locust's `between`): with one
 * fixed pause all shoppers stay in step and check out in waves of 50 at once.
 */
export async function benchCheckout(http: HttpClient, shoppers: number, durationS: number, figures: BenchFigure[], dataSetId?: string, thinkMs = 0): Promise<BenchFigure[]> {
  const before = figures.length;
  const [catalog, pool] = await Promise.all([discoverCatalog(http), CustomerPool.create(http, shoppers, dataSetId)]);
  const opts = await http.request("GET", "/v1/shipping/options?country=US");
  const optionId = (opts.json as { items: { id: string }[] }).items[0]?.id ?? "";
  await Promise.all(pool.tokens.map((t) => http.request("DELETE", "/v1/cart", { token: t })));
  const started = new Set<number>();
  const run = await closedLoop(http, shoppers, durationS, (w) => async (ctx) => {
    const token = pool.tokens[w] as string;
    if (thinkMs > 0 && !started.has(w)) {
      started.add(w); // shoppers arrive spread over one round of pauses, not all in the same millisecond
      await ctx.think(Math.random() * 2 * thinkMs);
    }
    await addToCart(ctx, token, pick(catalog.skus));
    await ctx.think(pause(thinkMs));
    const r = await checkout(ctx, token, optionId, true);
    if (r.status !== 201) await clearCart(ctx, token);
    await ctx.think(pause(thinkMs));
  });
  const outcomes = run.recorder.outcomes("checkout");
  const paid = outcomes["201"] ?? 0;
  const tag = thinkMs > 0 ? `@${shoppers} pausing ~${thinkMs / 1000} s` : `@${shoppers}`;
  const who = thinkMs > 0 ? `${shoppers} concurrent shoppers pausing ${thinkMs / 2000}-${(thinkMs * 1.5) / 1000} s after each step` : `${shoppers} concurrent shoppers`;
  figures.push({ name: `checkout, ${who}`, value: Math.round((paid / run.durationS) * 10) / 10, unit: "checkouts/s", note: `outcomes ${JSON.stringify(outcomes)}; ${cpuNote(run, paid, "checkout (add+checkout)")}` });
  for (const step of ["cart.add", "checkout"]) {
    const h = run.recorder.overall((n) => n === step).summary();
    figures.push({ name: `  ${step} ${tag}`, value: h.count, unit: "requests", p50: h.p50, p95: h.p95, p99: h.p99 });
  }
  const journey = run.recorder.overall((n) => n === "cart.add" || n === "checkout").summary();
  figures.push({ name: `  add+checkout per shopper ${tag} (sum of steps)`, value: run.perSecond, unit: "journeys/s", p50: journey.p50 });
  return figures.slice(before);
}

/**
 * What span lines cost (`--only trace-sampling`, not in the default run): one
 * shopper looping add to cart + checkout on one stack, in six alternating
 * rounds with a sampled `traceparent` (every call between Workers writes its
 * line) and without one (the gateway's TRACE_SAMPLE_RATE decides). Interleaved
 * on one stack because a stack's cost drifts as it runs (load/FINDINGS.md).
 */
export async function benchTraceSampling(http: HttpClient, durationS: number, figures: BenchFigure[], local: BenchState): Promise<BenchFigure[]> {
  const before = figures.length;
  const [catalog, pool] = await Promise.all([discoverCatalog(http), CustomerPool.create(http, 1, local.seedId)]);
  const token = pool.tokens[0] as string;
  const opts = await http.request("GET", "/v1/shipping/options?country=US");
  const optionId = (opts.json as { items: { id: string }[] }).items[0]?.id ?? "";
  await http.request("DELETE", "/v1/cart", { token });
  const sides = { sampled: { cpuMs: 0, journeys: 0 }, rate: { cpuMs: 0, journeys: 0 } };
  const roundS = Math.max(3, durationS / 2);
  for (let round = 0; round < 6; round++) {
    const sampled = round % 2 === 0;
    const side = sampled ? sides.sampled : sides.rate;
    const headers = (): Record<string, string> => (sampled ? { traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01` } : {});
    const run = await closedLoop(http, 1, roundS, () => async (ctx) => {
      const h = headers();
      await addToCart(ctx, token, pick(catalog.skus), false, h);
      const r = await checkout(ctx, token, optionId, true, h);
      if (r.status !== 201) await clearCart(ctx, token);
    }, 1);
    side.cpuMs += (run.cpu.workerd ?? 0) * 10 * run.durationS; // percent of a core over the round, as ms
    side.journeys += run.recorder.outcomes("checkout")["201"] ?? 0;
  }
  const perJourney = (s: { cpuMs: number; journeys: number }) => (s.journeys ? Math.round((s.cpuMs / s.journeys) * 100) / 100 : 0);
  const rate = local.traceSampleRate ?? "?";
  figures.push(
    { name: "trace sampling: journey, every call logged", value: perJourney(sides.sampled), unit: "ms CPU/journey", note: `one shopper, add + checkout with a sampled traceparent; ${sides.sampled.journeys} journeys in 3 rounds` },
    { name: `trace sampling: journey, TRACE_SAMPLE_RATE ${rate}`, value: perJourney(sides.rate), unit: "ms CPU/journey", note: `the same shopper without a traceparent, rounds alternating with the above; ${sides.rate.journeys} journeys` },
  );
  return figures.slice(before);
}

/** The flash-sale scenario with 1,000 shoppers for 100 units, arriving within one second. */
export async function benchFlashSale(target: string, local: BenchState | undefined, figures: BenchFigure[]): Promise<BenchFigure[]> {
  const before = figures.length;
  const { report } = await runScenario({ scenario: "flash-sale", profile: "load", target, local, rate: 1000, maxInFlight: 1000, outDir: "load/reports", customers: 1000, shoppers: 1000, units: 100, loginShare: 0 });
  const t = report.totals;
  const orders = report.steps.find((s) => s.name === "checkout")?.outcomes["201"] ?? 0;
  figures.push({
    name: "flash sale: 1,000 shoppers, 100 units",
    value: orders,
    unit: "paid orders",
    p50: t.latency.p50,
    p95: t.latency.p95,
    p99: t.latency.p99,
    note: `sold out after ${report.counters["flash.sold_out_after_ms"] ?? "?"} ms, 5xx ${t.fiveXx}, checks ${report.checks.every((c) => c.ok) ? "all hold" : `BROKEN: ${report.checks.filter((c) => !c.ok).map((c) => c.name).join("; ")}`}`,
  });
  return figures.slice(before);
}
