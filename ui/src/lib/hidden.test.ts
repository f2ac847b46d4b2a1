import { describe, expect, it } from "vitest";
import { isHidden, revealText, splitHidden } from "./hidden";

describe("hidden characters", () => {
  it("marks the Trojan Source bidi controls and zero-width characters", () => {
    for (const cp of [0x202a, 0x202e, 0x2066, 0x2069, 0x200e, 0x200f, 0x061c, 0x200b, 0xfeff, 0xe0041]) {
      expect(isHidden(cp), cp.toString(16)).toBe(true);
    }
    for (const cp of [0x61, 0x20, 0xe9, 0x4e2d, 0x1f600, 0x202f]) {
      expect(isHidden(cp), cp.toString(16)).toBe(false);
    }
  });

  it("draws each one as a marker and leaves the rest of the text alone", () => {
    const line = "if (isAdmin) { /*\u202E } \u2066if (isAdmin)\u2069 */";
    expect(revealText(line)).toBe("if (isAdmin) { /*<U+202E> } <U+2066>if (isAdmin)<U+2069> */");
    expect(revealText("tag\u{E0041}")).toBe("tag<U+E0041>");
    expect(splitHidden("plain")).toEqual(["plain"]);
    expect(splitHidden("")).toEqual([""]);
  });
});
