import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, newCustomer } from "./client.ts";
import { sentryEvents, waitForEvent, type SentryEvent } from "./sentry-support.ts";

const exceptionText = (e: SentryEvent) => e.exception?.values?.map((v) => v.value ?? "").join(" ") ?? "";

describe("error reporting to Sentry", () => {
  it("reports a gateway failure with request id, route, version and user id, and answers 500 without internals", async () => {
    const customer = await newCustomer();
    const res = await api("GET", "/v1/me", { token: customer.token, headers: { "x-edgeshop-fault": "gateway", "x-request-id": "fault-gw-1" } });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain("injected");
    const event = await waitForEvent((e) => e.tags?.requestId === "fault-gw-1");
    expect(exceptionText(event)).toContain("injected fault in gateway");
    expect(event.tags).toMatchObject({ requestId: "fault-gw-1", route: expect.stringContaining("GET"), version: expect.any(String), worker: "gateway" });
    expect(event.user).toStrictEqual({ id: customer.id });
    expect(event.release).toEqual(expect.any(String));
    expect(JSON.stringify(event)).not.toContain(customer.token);
  });

  it("reports a failure inside a domain Worker from that Worker itself", async () => {
    let caught: unknown;
    try {
      await env.USERS.injectFault();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    const event = await waitForEvent((e) => exceptionText(e).includes("injected fault in UsersService"));
    expect(event.release).toEqual(expect.any(String));
    // called without a trace (straight from the test): the Worker started one and tagged the event with it
    expect(event.tags).toMatchObject({ worker: "users", method: "injectFault", traceId: expect.stringMatching(/^[0-9a-f]{32}$/), version: expect.any(String) });
  });

  it("reports a failure inside a Durable Object from the Durable Object", async () => {
    let caught: unknown;
    try {
      await env.ORDERS.injectDurableFault();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    const event = await waitForEvent((e) => exceptionText(e).includes("injected fault in CartDO") && e.tags?.worker === "orders/CartDO");
    expect(event.release).toEqual(expect.any(String));
    expect(event.tags).toMatchObject({ worker: "orders/CartDO", method: "injectFault", traceId: expect.stringMatching(/^[0-9a-f]{32}$/), version: expect.any(String) });
  });

  it("reports a Durable Object failure behind the gateway with the request's id and trace, and no credentials", async () => {
    const customer = await newCustomer();
    const res = await api("GET", "/v1/me", { token: customer.token, headers: { "x-edgeshop-fault": "cart", "x-request-id": "fault-do-1" } });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain("injected");
    const atGateway = await waitForEvent((e) => e.tags?.requestId === "fault-do-1" && e.tags.worker === "gateway");
    const inObject = await waitForEvent((e) => e.tags?.requestId === "fault-do-1" && e.tags.worker === "orders/CartDO");
    expect(exceptionText(inObject)).toContain("injected fault in CartDO (through the gateway)");
    // the same request id, trace and a version on the object's own report: propagated gateway -> orders -> CartDO
    expect(inObject.tags).toMatchObject({ method: "injectFault", traceId: atGateway.tags?.traceId, version: expect.any(String) });
    expect(inObject.release).toEqual(expect.any(String));
    expect(JSON.stringify(inObject)).not.toContain(customer.token);
    expect(JSON.stringify(atGateway)).not.toContain(customer.token);
  });

  it("reports a domain failure surfacing at the gateway as a 500", async () => {
    const res = await api("GET", "/health", { headers: { "x-edgeshop-fault": "users", "x-request-id": "fault-users-1" } });
    expect(res.status).toBe(500);
    const atGateway = await waitForEvent((e) => e.tags?.requestId === "fault-users-1" && e.tags.worker === "gateway");
    // the users Worker's own report carries the gateway's request id and trace id (trace propagation)
    const inWorker = await waitForEvent((e) => e.tags?.requestId === "fault-users-1" && e.tags.worker === "users");
    expect(inWorker.tags).toMatchObject({ method: "injectFault", traceId: atGateway.tags?.traceId });
  });

  it("answers a domain Worker's lost database with 503 and retry-after, not 500, and reports it as one issue", async () => {
    for (const id of ["fault-db-1", "fault-db-2"]) {
      const res = await api("GET", "/health", { headers: { "x-edgeshop-fault": "database", "x-request-id": id } });
      expect({ status: res.status, retryAfter: res.headers.get("retry-after"), code: (res.body as { code?: string }).code }).toStrictEqual({ status: 503, retryAfter: "5", code: "SERVICE_UNAVAILABLE" });
      expect(JSON.stringify(res.body)).not.toMatch(/select|127\.0\.0\.1|unreachable/);
      // every occurrence is reported (no Dedupe), under one message without SQL
      const atGateway = await waitForEvent((e) => e.tags?.requestId === id && e.tags.worker === "gateway");
      expect(exceptionText(atGateway)).toBe("The database is unavailable.");
    }
  });

  it("does not report 4xx", async () => {
    const res = await api("GET", "/v1/me", { headers: { "x-request-id": "plain-401" } });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    const events = await sentryEvents();
    expect(events.filter((e) => e.tags?.requestId === "plain-401")).toStrictEqual([]);
  });
});
