import { describe, expect, it } from "vitest";
import { problemBody, problemResponse, RetryLater, STATUS_BY_CODE } from "../../shared/errors.ts";
import { newId, randomHex, randomUuid } from "../../shared/ids.ts";
import { decodeCursor, decodeSequenceCursor, encodeCursor, encodeSequenceCursor, toPage } from "../../shared/pagination.ts";
import { hashPassword, PBKDF2_ITERATIONS, PBKDF2_MAX_ITERATIONS, verifyPassword } from "../../shared/password.ts";
import { errorText, scrubEvent, sentryOptions } from "../../shared/observability.ts";
import { isDatabaseUnavailable } from "../../shared/db/client.ts";

describe("password hashing", () => {
  it("never exceeds production workerd's PBKDF2 cap of 100,000 iterations", async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    const h = await hashPassword("correct horse");
    expect(h.iterations).toBe(100_000);
    await expect(hashPassword("x", 100_001)).rejects.toThrow(RangeError);
  });

  it("salts per hash and verifies only the right password", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a.salt).not.toBe(b.salt);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("wrong horse", a)).toBe(false);
  });

  it("takes a password typed in another Unicode form as the same one, and still verifies hashes made before normalisation", async () => {
    const decomposed = "cafe\u0301 cre\u0300me";
    const composed = decomposed.normalize("NFC");
    expect(composed).not.toBe(decomposed);
    const h = await hashPassword(decomposed, 1_000);
    expect([await verifyPassword(composed, h), await verifyPassword(decomposed, h), await verifyPassword("cafe creme", h)]).toStrictEqual([true, true, false]);
    // A hash from before normalisation: derived from the text as typed.
    const salt = new Uint8Array(16);
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(decomposed), "PBKDF2", false, ["deriveBits"]);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 1_000 }, key, 256));
    const legacy = { algo: "pbkdf2-sha256", iterations: 1_000, salt: btoa(String.fromCharCode(...salt)), hash: btoa(String.fromCharCode(...bits)) };
    expect([await verifyPassword(decomposed, legacy), await verifyPassword("cafe creme", legacy)]).toStrictEqual([true, false]);
  });

  it("verifies with the parameters stored beside the hash", async () => {
    const low = await hashPassword("pw", 1_000);
    expect(await verifyPassword("pw", low)).toBe(true);
  });
});

describe("ids and cursors", () => {
  it("a sequence cursor is a place in its own scope only", () => {
    const cursor = encodeSequenceCursor(9, "MUG-1");
    expect(decodeSequenceCursor(cursor, "MUG-1")).toBe(9);
    expect(decodeSequenceCursor(cursor, "MUG-2")).toBeNull();
    expect(decodeSequenceCursor(cursor, "MUG")).toBeNull();
    expect(decodeSequenceCursor(encodeCursor("seq_9"), "MUG-2")).toBeNull();
    expect(decodeSequenceCursor(encodeCursor("seq_0_MUG-1"), "MUG-1")).toBeNull();
  });

  it("ids sort by creation time", () => {
    const a = newId("ord", 1_000);
    const b = newId("ord", 2_000);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^ord_[0-9a-f]{28}$/);
  });

  it("random ids come from the pooled buffer without repeats, across its refills", () => {
    // 4096 bytes per refill: 1,000 UUIDs (16 bytes each) and span ids (8) cross several refills.
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const uuid = randomUuid();
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const span = randomHex(8);
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      seen.add(uuid).add(span);
    }
    expect(seen.size).toBe(2_000);
    expect(randomHex(4096)).toHaveLength(8192);
  });

  it("cursors round-trip and reject foreign input", () => {
    const id = newId("prd");
    expect(decodeCursor(encodeCursor(id), "prd")).toBe(id);
    expect(decodeCursor("not a cursor!", "prd")).toBeNull();
    expect(decodeCursor(encodeCursor("x'; drop table"), "prd")).toBeNull();
    // Another list's cursor is no place in this one.
    expect(decodeCursor(encodeCursor(newId("usr")), "prd")).toBeNull();
    expect(decodeCursor(encodeCursor(id), "pr")).toBeNull();
  });

  it("pages carry a cursor only when there is more", () => {
    const rows = [{ id: "a_1" }, { id: "a_2" }, { id: "a_3" }];
    expect(toPage(rows, 2).items).toHaveLength(2);
    expect(toPage(rows, 2).nextCursor).toBe(encodeCursor("a_2"));
    expect(toPage(rows, 3).nextCursor).toBeNull();
  });
});

describe("problem details", () => {
  it("maps codes to statuses in one table", () => {
    expect(problemBody({ code: "OUT_OF_STOCK", detail: "HOODIE-S" }, "req-1")).toStrictEqual({
      type: "https://edgeshop.dev/problems/out-of-stock",
      title: "Out of stock",
      status: 409,
      code: "OUT_OF_STOCK",
      detail: "HOODIE-S",
      requestId: "req-1",
    });
    expect(STATUS_BY_CODE.IDEMPOTENCY_KEY_REUSED).toBe(422);
  });

  it("tells every 401 how to authenticate and every 503 when to try again, keeping a time the cause gave", () => {
    const headersOf = (code: "UNAUTHENTICATED" | "SERVICE_UNAVAILABLE" | "CONFLICT", given?: HeadersInit) => {
      const h = problemResponse({ code }, "req-1", given).headers;
      return { authenticate: h.get("www-authenticate"), retryAfter: h.get("retry-after"), type: h.get("content-type") };
    };
    expect(headersOf("UNAUTHENTICATED")).toStrictEqual({ authenticate: 'Bearer realm="edgeshop"', retryAfter: null, type: "application/problem+json" });
    expect(headersOf("SERVICE_UNAVAILABLE")).toStrictEqual({ authenticate: null, retryAfter: "1", type: "application/problem+json" });
    expect(headersOf("SERVICE_UNAVAILABLE", { "retry-after": "30" }).retryAfter).toBe("30");
    expect(headersOf("CONFLICT")).toStrictEqual({ authenticate: null, retryAfter: null, type: "application/problem+json" });
  });

  it("says when to send a key again whose checkout is still running (the service's time, else 1 s), as a header only", async () => {
    const inProgress = problemResponse({ code: "IDEMPOTENCY_IN_PROGRESS" }, "req-1");
    expect({ status: inProgress.status, retryAfter: inProgress.headers.get("retry-after") }).toStrictEqual({ status: 409, retryAfter: "1" });
    const named = problemResponse({ code: "IDEMPOTENCY_IN_PROGRESS", retryAfterSeconds: 2 }, "req-1");
    expect(named.headers.get("retry-after")).toBe("2");
    expect(Object.keys((await named.json()) as object)).not.toContain("retryAfterSeconds");
  });

  it("carries a failed checkout's order and a price change's totals as members of the problem", () => {
    const total = { amount: 10499, currency: "USD" };
    const expectedTotal = { amount: 2499, currency: "USD" };
    expect(problemBody({ code: "PRICE_CHANGED", detail: "d", total, expectedTotal }, "req-1")).toStrictEqual({
      type: "https://edgeshop.dev/problems/price-changed", title: "Price changed", status: 409, code: "PRICE_CHANGED", detail: "d", requestId: "req-1", total, expectedTotal,
    });
    expect(problemBody({ code: "PAYMENT_DECLINED", orderId: "ord_1" }, "req-1")).toMatchObject({ status: 402, orderId: "ord_1" });
  });
});

describe("a database that cannot serve", () => {
  it("is told apart from a wrong query: connection failures and SQLSTATE classes 08, 53, 57P, 58, in any cause", () => {
    const failedQuery = (cause: unknown) => new Error("Failed query: select 1\nparams: ", { cause });
    const pg = (code: string, message = "x") => Object.assign(new Error(message), { code });
    for (const err of [failedQuery(new Error("Connection terminated unexpectedly")), new Error("timeout exceeded when trying to connect"), failedQuery(pg("57P01", "terminating connection due to administrator command")), failedQuery(pg("53300", "too many connections")), failedQuery(pg("08006")), failedQuery(pg("XX000", "Error connecting to database: compute suspended")), new Error("Server error (HTTP status 503): endpoint is disabled"), failedQuery({ message: "Connection terminated unexpectedly" })]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(true);
    }
    for (const err of [failedQuery(pg("23505", "duplicate key value")), failedQuery(pg("42703", "column does not exist")), failedQuery(pg("08P01", "bind message supplies 70000 parameters")), failedQuery(pg("XX000", "internal error")), new Error("Cannot perform I/O on behalf of a different request (WebSocket)"), new Error("a bug"), "text"]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(false);
    }
  });
});

describe("error text in logs and reports", () => {
  it("keeps a failed query's SQL and drops its parameters (customer data)", () => {
    const failed = new Error('Failed query: insert into "addresses" ("id", "line1") values ($1, $2)\nparams: adr_1,1 Main St');
    expect(errorText(failed)).toBe('Error: Failed query: insert into "addresses" ("id", "line1") values ($1, $2)\nparams: [Filtered]');
    expect(errorText(new Error("plain"))).toBe("Error: plain");
    const event = scrubEvent({ type: undefined, exception: { values: [{ type: "Error", value: failed.message }] } });
    expect(event?.exception?.values?.[0]?.value).toBe('Failed query: insert into "addresses" ("id", "line1") values ($1, $2)\nparams: [Filtered]');
  });

  it("logs a failed query's cause (why it failed, with its SQLSTATE) and still not its parameters", () => {
    const refused = new Error('Failed query: select "id" from "users" where "email" = $1\nparams: someone@example.com', { cause: new Error("Connection terminated unexpectedly") });
    expect(errorText(refused)).toBe('Error: Failed query: select "id" from "users" where "email" = $1\nparams: [Filtered] (cause: Error: Connection terminated unexpectedly)');
    const violated = new Error("Failed query: insert\nparams: x", { cause: Object.assign(new Error('duplicate key value violates unique constraint "users_email"'), { code: "23505" }) });
    expect(errorText(violated)).toBe('Error: Failed query: insert\nparams: [Filtered] (cause: Error: duplicate key value violates unique constraint "users_email", code 23505)');
  });

  it("keeps query strings, client addresses, emails and earlier log lines' parameters out of Sentry, and span ids in", () => {
    const event = scrubEvent({
      type: undefined,
      request: {
        url: "https://api.example/v1/products?q=red%20shoes&limit=3",
        headers: { "cf-connecting-ip": "203.0.113.7", "x-forwarded-for": "203.0.113.7", "true-client-ip": "203.0.113.7", authorization: "Bearer x", "user-agent": "curl/8", "x-request-id": "req-1" },
      },
      contexts: { trace: { trace_id: "t", span_id: "s1", parent_span_id: "s0" } },
      extra: { email: "someone@example.com", company: "Acme" },
      breadcrumbs: [{ category: "console", message: "Error: Failed query: select 1\nparams: someone@example.com", data: { arguments: ["x"], password: "p" } }],
    });
    expect(event?.request).toStrictEqual({ url: "https://api.example/v1/products", headers: { "user-agent": "curl/8", "x-request-id": "req-1" } });
    expect(event?.contexts?.trace).toStrictEqual({ trace_id: "t", span_id: "s1", parent_span_id: "s0" });
    expect(event?.extra).toStrictEqual({ email: "[Filtered]", company: "Acme" });
    expect(event?.breadcrumbs).toStrictEqual([{ category: "console", message: "Error: Failed query: select 1\nparams: [Filtered]", data: { arguments: ["x"], password: "[Filtered]" } }]);
  });

  it("reports every occurrence: Sentry's Dedupe integration, which drops a repeat of the last error, is off", () => {
    const options = sentryOptions({ SENTRY_DSN: "https://k@sentry.example/1", CF_VERSION_METADATA: { id: "v1", tag: "", timestamp: "" } });
    const integrations = options.integrations as (defaults: { name: string }[]) => { name: string }[];
    expect(integrations([{ name: "Dedupe" }, { name: "LinkedErrors" }]).map((i) => i.name)).toStrictEqual(["LinkedErrors"]);
  });

  it("leaves out of Sentry an expected condition thrown for a retry, also after RPC turned it into a plain Error", () => {
    const thrown = new RetryLater("payment pay_1: the capture has no known outcome");
    expect(scrubEvent({ type: undefined, exception: { values: [{ type: "RetryLater", value: thrown.message }] } })).toBeNull();
    expect(scrubEvent({ type: undefined, exception: { values: [{ type: "Error", value: `Error: ${thrown.message}` }] } })).toBeNull();
    expect(scrubEvent({ type: undefined, exception: { values: [{ type: "Error", value: "a bug" }] } })).not.toBeNull();
  });
});
