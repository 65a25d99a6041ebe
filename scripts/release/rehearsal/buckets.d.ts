/** Types of buckets.js (plain JS, loaded as is by the rehearsal's Workers). */
export function bucketOf(key: string): number;
export function versionForBucket(bucket: number, percentNew: number): "old" | "new";
