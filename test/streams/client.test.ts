import { describe, expect, it } from "vitest";
import { messageOnce } from "../../streams/client";

describe("provider errors", () => {
  it("keep only the frames in the stack, so Pulumi's `${error}: ${error.stack}` states the message once", () => {
    const error = new Error("refusing to delete stream orders:\nit holds 3 messages");
    expect(messageOnce(error)).toBe(error);
    expect(`${String(error)}: ${error.stack}`.match(/refusing to delete/g)).toHaveLength(1);
    expect(error.stack).toMatch(/^ {4}at /);
    const bare = new Error("no frames");
    bare.stack = "Error: no frames";
    expect((messageOnce(bare) as Error).stack).toBe("");
    expect(messageOnce("a string")).toBe("a string");
  });
});
