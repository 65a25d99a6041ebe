/**
 * Records keyed by strings from outside (SKUs, product ids, payment tokens).
 * A plain object answers `constructor` or `toString` from its prototype, so a
 * customer naming such a SKU would find a "variant"; read them with `own`.
 * Build them with `Object.fromEntries`, which adds even `__proto__` as a key
 * (`out[key] = value` would replace the prototype instead).
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
