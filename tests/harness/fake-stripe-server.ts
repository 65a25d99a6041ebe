/**
 * Global setup of the `payments` test project: a fake Stripe on a loopback
 * HTTP port (tests/support/fake-stripe.ts behind node:http), so the payments
 * Worker's Stripe provider is exercised over real HTTP, exactly as it talks
 * to api.stripe.com. Tests read what Stripe saw with `GET /__calls`, the
 * PaymentIntents of a payment with `GET /__intents?payment_id=ID`, simulate an
 * outage with `POST /__fail?n=N` (500 before Stripe acts, nothing saved), and a
 * lost answer with `POST /__fail?n=N&mode=after|saved|drop` (`FakeStripeFault`:
 * a drop destroys the socket after Stripe acted).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { TestProject } from "vitest/node";
import { FAKE_STRIPE_KEY, FAKE_STRIPE_WEBHOOK_SECRET, FakeStripe, FakeStripeDrop, type FakeStripeFault } from "../support/fake-stripe.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fakeStripeUrl: string;
  }
}

/** The payments Worker's vars and secrets for the Stripe provider talking to this fake, its webhook endpoint on. */
export function stripeBindings(fakeStripeUrl: string): Record<string, string> {
  return { PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: FAKE_STRIPE_KEY, STRIPE_API_BASE: fakeStripeUrl, STRIPE_WEBHOOK_SECRET: FAKE_STRIPE_WEBHOOK_SECRET };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stripe = new FakeStripe(FAKE_STRIPE_KEY);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/__calls") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(stripe.calls));
        return;
      }
      if (url.pathname === "/__intents") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(stripe.intentsFor(url.searchParams.get("payment_id") ?? "")));
        return;
      }
      if (url.pathname === "/__fail") {
        const n = Number(url.searchParams.get("n") ?? "1");
        const mode = url.searchParams.get("mode");
        if (mode === "after" || mode === "saved" || mode === "drop") stripe.fail(mode satisfies FakeStripeFault, n);
        else stripe.failNext = n;
        res.writeHead(204).end();
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
      const response = await stripe.handle(new Request(url, { method: req.method, headers, body }));
      const out: Record<string, string> = {};
      response.headers.forEach((value, key) => (out[key] = value));
      res.writeHead(response.status, out);
      res.end(await response.text());
    })().catch((err: unknown) => {
      if (err instanceof FakeStripeDrop) res.socket?.destroy();
      else res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  project.provide("fakeStripeUrl", `http://127.0.0.1:${port}`);
  return () => new Promise((resolve) => server.close(() => resolve()));
}
