/**
 * A tiny HTTP client for e2e tests: every request goes through the gateway's
 * real fetch handler (in workerd), which reaches the domain Workers over
 * service bindings and Postgres through the Neon driver.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is: text, or bytes (e.g. to send what is not UTF-8). */
  rawBody?: string | Uint8Array;
  token?: string;
  headers?: Record<string, string>;
}

export async function api<T = Record<string, unknown>>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(opts.headers);
  if (opts.body !== undefined || opts.rawBody !== undefined) headers.set("content-type", headers.get("content-type") ?? "application/json");
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  const res = await exports.default.fetch(
    new Request(`http://edgeshop.test${path}`, { method, headers, body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) }),
  );
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

let counter = 0;

/** A unique suffix so tests never depend on each other's data. */
export function unique(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

/** Registers a fresh customer and returns its id, email and token. */
export async function newCustomer(name = "Test Customer"): Promise<TestUser> {
  const email = `${unique("user")}@example.com`;
  const res = await api<{ user: { id: string }; token: string }>("POST", "/v1/auth/register", { body: { email, password: "password123", name } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, email, token: res.body.token };
}

/** Logs in as the seeded admin. */
export async function adminToken(): Promise<string> {
  const res = await api<{ token: string }>("POST", "/v1/auth/login", { body: { email: "admin@edgeshop.local", password: "admin-password" } });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status}`);
  return res.body.token;
}

/** The problem+json fields every error carries, for `toStrictEqual`. */
export function problemOf(status: number, code: string, extra: Record<string, unknown> = {}) {
  return {
    type: expect.any(String),
    title: expect.any(String),
    status,
    code,
    detail: expect.any(String),
    requestId: expect.any(String),
    ...extra,
  };
}

/** Polls `read` until `done` holds or `ms` pass, and returns the last value read (queue delivery is asynchronous). */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}
