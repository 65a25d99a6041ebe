/**
 * Seconds a rate-limited client is told to wait (`retry-after`): the window
 * every Workers Rate Limiting binding of every environment counts over
 * (wrangler.toml; `npm run test:release` checks each is this).
 */
export const RATE_LIMIT_PERIOD_SECONDS = 60;
