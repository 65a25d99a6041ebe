/**
 * A log-linear latency histogram (HdrHistogram's idea in a few lines): values
 * in microseconds land in buckets ~1% wide, so any percentile is exact to
 * about 1% with constant memory per endpoint and per second, and histograms
 * merge by adding counts.
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(us: number): number {
  return us <= 1 ? 0 : Math.ceil(Math.log(us) / LOG_GROWTH);
}

function valueOf(bucket: number): number {
  return bucket === 0 ? 1 : GROWTH ** bucket;
}

export interface Summary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export class Histogram {
  private counts = new Map<number, number>();
  count = 0;
  private sum = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const b = bucketOf(us);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.count++;
    this.sum += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Adds another histogram's counts into this one. */
  merge(other: Histogram): void {
    for (const [b, c] of other.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.count += other.count;
    this.sum += other.sum;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** The value (ms) at quantile q in [0, 1]; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b) ?? 0;
      if (seen >= rank) return Math.min(valueOf(b), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): Summary {
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return {
      count: this.count,
      mean: round(this.count ? this.sum / this.count / 1000 : 0),
      min: round(this.count ? this.minUs / 1000 : 0),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p95: round(this.quantile(0.95)),
      p99: round(this.quantile(0.99)),
      max: round(this.maxUs / 1000),
    };
  }
}
