import { describe, expect, it } from "vitest";
import { relativeDue, span } from "./time";

const NOW = Date.parse("2026-12-04T12:00:00Z");

describe("relativeDue", () => {
  it("says how long overdue or how long until due, in the largest whole unit", () => {
    expect(relativeDue("2026-12-02T09:00:00Z", NOW)).toMatchObject({ text: "overdue 2 d", overdue: true });
    expect(relativeDue("2026-12-04T17:30:00Z", NOW)).toMatchObject({ text: "due in 5 h", overdue: false });
    expect(relativeDue("2026-12-04T12:40:00Z", NOW).text).toBe("due in 40 min");
    expect(relativeDue("2026-12-04T11:59:50Z", NOW).text).toBe("overdue 1 min");
  });

  it("keeps the exact time, with the server's text, for the hover", () => {
    expect(relativeDue("2026-12-02T09:00:00Z", NOW).exact).toContain("(2026-12-02T09:00:00Z)");
  });

  it("shows text that is no date as it came, never as overdue", () => {
    expect(relativeDue("soon", NOW)).toEqual({ text: "soon", overdue: false, exact: "soon" });
    expect(relativeDue("", NOW).text).toBe("no due date");
  });

  it("rounds spans down", () => {
    expect(span(47 * 3600_000)).toBe("1 d");
    expect(span(-(90 * 60_000))).toBe("1 h");
  });
});
