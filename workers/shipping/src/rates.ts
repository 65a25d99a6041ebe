import type { RateBand } from "../../../shared/schemas/shipping.ts";

/**
 * Price of a parcel in minor units: the band with the largest lower bound not
 * above `weightGrams` applies, then base + perKg for every started kilogram
 * (carriers bill started kilograms, and integers keep money exact).
 * Returns null when no band covers the weight (bands without a 0 g band).
 */
export function priceFor(bands: readonly RateBand[], weightGrams: number): number | null {
  let chosen: RateBand | undefined;
  for (const band of bands) {
    if (band.minWeightGrams <= weightGrams && (!chosen || band.minWeightGrams > chosen.minWeightGrams)) chosen = band;
  }
  if (!chosen) return null;
  return chosen.baseAmount + chosen.perKgAmount * Math.ceil(weightGrams / 1000);
}

/** Bands sorted by lower bound, the order the admin view lists them in. */
export function sortBands<T extends RateBand>(bands: readonly T[]): RateBand[] {
  return [...bands]
    .sort((a, b) => a.minWeightGrams - b.minWeightGrams)
    .map((b) => ({ minWeightGrams: b.minWeightGrams, baseAmount: b.baseAmount, perKgAmount: b.perKgAmount }));
}
