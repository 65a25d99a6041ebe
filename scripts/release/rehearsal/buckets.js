// Shared by the rehearsal's splitter and Durable Object hosts (plain JS: it runs on workerd as is).

/** A stable bucket 0..99 for a key (FNV-1a), like the hash a deployment assigns versions by. */
export function bucketOf(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

/** "new" when the bucket falls inside the new version's share: raising the share never moves a key back. */
export function versionForBucket(bucket, percentNew) {
  return bucket < percentNew ? "new" : "old";
}
