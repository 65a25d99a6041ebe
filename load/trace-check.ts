/**
 * Follows one checkout through every Worker and Durable Object by its trace
 * id: sends add-to-cart and checkout with a W3C `traceparent`, then reads the
 * Workers' log lines (serve:bench --log-file) and checks that each hop the
 * checkout takes wrote a line carrying that trace id, with parent span links
 * that lead back to the gateway.
 *   node load/trace-check.ts --target http://127.0.0.1:8798 --log-file .tmp/bench-smoke/workers.log
 * Exits 1 when a hop is missing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ADDRESS } from "./scenarios/checkout-steps.ts";
import { discoverCatalog, login } from "./lib/fixtures.ts";
import { HttpClient } from "./lib/http.ts";

/**
 * Every hop a checkout makes (gateway -> orders -> cart, order saga -> stock, payments, shipping), and
 * the events consumer, which continues the trace stored in each event it takes off the queue.
 */
export const CHECKOUT_HOPS = ["gateway", "orders", "orders/CartDO", "orders/OrderDO", "catalog", "catalog/StockDO", "payments", "payments/PaymentDO", "shipping", "events"];

interface LogLine {
  worker?: string;
  method?: string;
  route?: string;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  requestId?: string;
  status?: string | number;
  durationMs?: number;
}

function linesOf(file: string, traceId: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    if (!raw.includes(traceId)) continue;
    try {
      out.push(JSON.parse(raw) as LogLine);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { target: { type: "string" }, "log-file": { type: "string" } } });
  if (!values.target || !values["log-file"]) throw new Error("usage: --target URL --log-file FILE");
  const http = new HttpClient(values.target, 4);
  const catalog = await discoverCatalog(http, 1);
  const sku = catalog.skus[0];
  if (!sku) throw new Error("no SKU with stock to buy");
  const token = await login(http, 0);
  const options = await http.request("GET", "/v1/shipping/options?country=US");
  const shippingOptionId = (options.json as { items: { id: string }[] }).items[0]?.id;

  const traceId = randomBytes(16).toString("hex");
  const traceparent = `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
  await http.request("DELETE", "/v1/cart", { token });
  const add = await http.request("POST", "/v1/cart/items", { token, body: { sku, quantity: 1 }, headers: { traceparent } });
  const order = await http.request("POST", "/v1/checkout", {
    token,
    headers: { traceparent, "idempotency-key": randomUUID() },
    body: { shippingAddress: ADDRESS, shippingOptionId, paymentToken: "tok_visa" },
  });
  const echoed = String(order.headers.traceparent ?? "");
  console.log(`trace ${traceId}: add to cart ${add.status}, checkout ${order.status} (${(order.json as { status?: string }).status ?? "?"}), response traceparent ${echoed}`);

  // Log lines of waitUntil work land a little after the response; queued events after the batch timeout.
  let lines: LogLine[] = [];
  let missing = CHECKOUT_HOPS;
  for (let i = 0; i < 60 && missing.length; i++) {
    await new Promise((r) => setTimeout(r, 250));
    lines = linesOf(values["log-file"], traceId);
    const seen = new Set(lines.map((l) => l.worker));
    missing = CHECKOUT_HOPS.filter((h) => !seen.has(h));
  }
  const spans = new Set(lines.map((l) => l.spanId));
  const orphans = lines.filter((l) => l.worker !== "gateway" && !spans.has(l.parentSpanId));
  for (const l of lines) console.log(`  ${String(l.worker).padEnd(20)} ${String(l.route ?? l.method).padEnd(24)} span ${l.spanId ?? "-"} <- ${l.parentSpanId || "-"}  ${l.status} ${l.durationMs} ms`);
  const problems = [
    ...(add.status === 200 ? [] : [`add to cart answered ${add.status}`]),
    ...(order.status === 201 ? [] : [`checkout answered ${order.status}: ${order.text.slice(0, 200)}`]),
    ...(echoed.includes(traceId) ? [] : ["the response traceparent does not carry the trace id"]),
    ...missing.map((h) => `no log line from ${h} with the trace id`),
    ...orphans.map((l) => `${l.worker}.${l.method}: parent span ${l.parentSpanId} is not a logged span of this trace`),
  ];
  if (problems.length) {
    for (const p of problems) console.error(`trace check: ${p}`);
    return 1;
  }
  console.log(`trace check: one checkout followed through ${CHECKOUT_HOPS.length} Workers and Durable Objects (${lines.length} log lines, one trace id)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`trace check failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
