/** A read's rate as a share of the ceiling's, over rounds measured side by side. */
export interface RoundRatios {
  median: number;
  min: number;
  max: number;
}

/** The median of `xs` (not empty). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Pairs each round's read rate with the ceiling's rate of the same round and
 * sums the ratios up. Pairing by round is the point: a round's slices run
 * seconds apart, on the same machine state, where runs minutes apart drift
 * (load/bench.ts, interleavedRatios).
 */
export function roundRatios(readRates: readonly number[], ceilingRates: readonly number[]): RoundRatios {
  if (readRates.length === 0 || readRates.length !== ceilingRates.length) throw new Error(`${readRates.length} read rounds against ${ceilingRates.length} ceiling rounds`);
  const ratios = readRates.map((rate, i) => rate / ceilingRates[i]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}
