/**
 * `npm run test:release`: the release tooling's unit tests in plain Node, in
 * seconds, without the workerd harness. The same files also run in workerd
 * as part of the e2e project (tests/unit), since the logic they test is pure;
 * the tests under scripts/ (the offline rollout rehearsal, the operations
 * scripts against PGlite) are Node only.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { root: ".", include: ["tests/unit/release-*.test.ts", "scripts/**/*.test.ts"], environment: "node" },
});
