/**
 * The part of `node:async_hooks` Workers provide under `nodejs_compat` that
 * edgeshop uses (Worker code is type-checked without Node's own types).
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, fn: () => R): R;
  }
}
