/**
 * Durable Object classes that run the old or the new build's code per object,
 * as a gradual deployment assigns them on Cloudflare: each object gets one
 * version per deployment (by a stable hash of its id against the new version's
 * share), keeps it until the deployment changes, and then restarts in its new
 * version over the same storage. A switch waits until the calls running on the
 * previous code have finished. Storage, alarms and the namespace are shared by
 * both versions, so the new code reads what the old code wrote and back.
 * The host's env carries the old build's bindings under OLD__<name>.
 */
import { DurableObject } from "cloudflare:workers";
import * as OLD from "./old/index.js";
import * as NEW from "./new/index.js";
import { bucketOf, versionForBucket } from "./buckets.js";

const deployment = { percentNew: 0 };
/** Object id -> the version it runs now (objects this isolate has seen). */
const running = new Map();
let restarts = 0;

function methodNames(cls) {
  const names = new Set();
  for (let p = cls.prototype; p && p !== DurableObject.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name !== "constructor" && typeof Object.getOwnPropertyDescriptor(p, name).value === "function") names.add(name);
    }
  }
  return names;
}

function envFor(env, version) {
  const own = Object.entries(env).filter(([k]) => !k.startsWith("OLD__"));
  if (version === "new") return Object.fromEntries(own);
  const old = Object.entries(env).filter(([k]) => k.startsWith("OLD__")).map(([k, v]) => [k.slice(5), v]);
  return Object.fromEntries([...own, ...old]);
}

/** A class exported under `name` whose instances run OLD[name] or NEW[name] (a class new in this build runs new). */
export function versioned(name) {
  const builds = { old: OLD[name] ?? NEW[name], new: NEW[name] ?? OLD[name] };
  if (!builds.new) throw new Error(`neither build exports ${name}`);

  class Versioned extends DurableObject {
    #impl;
    #version;
    #inflight = 0;
    #drained;

    /** The implementation this call runs on, counted as in flight; switches version once the previous code is idle. */
    async #enter() {
      const id = this.ctx.id.toString();
      for (;;) {
        const want = versionForBucket(bucketOf(id), deployment.percentNew);
        if (this.#impl && this.#version === want) break;
        if (!this.#impl || this.#inflight === 0) {
          if (this.#impl) restarts++;
          this.#impl = new builds[want](this.ctx, envFor(this.env, want));
          this.#version = want;
          running.set(id, want);
          // The constructor's blockConcurrencyWhile (schema set-up) runs first: this one queues behind it.
          await this.ctx.blockConcurrencyWhile(async () => {});
          continue;
        }
        await (this.#drained ??= Promise.withResolvers()).promise;
      }
      this.#inflight++;
      return this.#impl;
    }

    #leave() {
      if (--this.#inflight > 0 || !this.#drained) return;
      this.#drained.resolve();
      this.#drained = undefined;
    }

    async forward(method, args) {
      const impl = await this.#enter();
      try {
        return await impl[method](...args);
      } finally {
        this.#leave();
      }
    }
  }
  for (const method of new Set([...methodNames(builds.old), ...methodNames(builds.new)])) {
    Object.defineProperty(Versioned.prototype, method, {
      value: function (...args) {
        return this.forward(method, args);
      },
      writable: true,
      configurable: true,
    });
  }
  return Versioned;
}

function stats() {
  const objects = { old: 0, new: 0 };
  for (const v of running.values()) objects[v]++;
  return { percentNew: deployment.percentNew, objects, restarts };
}

/** The host's fetch handler: POST /deployment {percentNew} moves the deployment; GET /stats. */
export async function control(request) {
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname === "/deployment") {
    const { percentNew } = await request.json();
    deployment.percentNew = percentNew;
    return Response.json(stats());
  }
  if (url.pathname === "/stats") return Response.json(stats());
  return new Response("not found", { status: 404 });
}
