import { describe, expect, it } from "vitest";
import type { Vocabulary } from "../bindings/Vocabulary";
import { hoverText, humanize, wordsFor } from "./words";

const VOCABULARY: Vocabulary = {
  queues: [{ name: "extension", title: "Manual Review", description: "Needs a human.", usual_action: "public", actions: [] }],
  reasons: [{ name: "scanner_action", title: "Hit scanner rule", description: "" }],
  flags: [],
  weight_factors: [],
  actions: [],
  review_reasons: [],
};

describe("wordsFor", () => {
  it("gives the vocabulary's title and description, and the code for the hover", () => {
    const w = wordsFor(VOCABULARY, "queues", "extension");
    expect(w).toEqual({ code: "extension", title: "Manual Review", description: "Needs a human." });
    expect(hoverText(w)).toBe("Needs a human. (extension)");
    expect(hoverText(wordsFor(VOCABULARY, "reasons", "scanner_action"))).toBe("scanner_action");
  });

  it("reads an unknown code as words, before any vocabulary too", () => {
    expect(wordsFor(VOCABULARY, "flags", "needs_admin_code_review").title).toBe("Needs admin code review");
    expect(wordsFor(null, "queues", "content-review").title).toBe("Content review");
    expect(humanize("")).toBe("");
  });
});
