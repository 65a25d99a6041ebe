import { describe, expect, it } from "vitest";
import { withRetries } from "../../workers/catalog/src/inventory-sync.ts";

describe("inventory sync retries", () => {
  it("tries a failing write again after each pause and returns the first success", async () => {
    let calls = 0;
    const value = await withRetries(async () => {
      calls++;
      if (calls < 3) throw new Error(`transient ${calls}`);
      return "written";
    }, [1, 1]);
    expect(value).toBe("written");
    expect(calls).toBe(3);
  });

  it("gives up after the last pause with the last error", async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new Error(`down ${calls}`);
      }, [1, 1]),
    ).rejects.toThrow("down 3");
    expect(calls).toBe(3);
  });

  it("writes once when the first attempt succeeds", async () => {
    let calls = 0;
    await withRetries(async () => ++calls, [1, 1]);
    expect(calls).toBe(1);
  });
});
