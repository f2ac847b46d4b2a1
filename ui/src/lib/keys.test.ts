import { describe, expect, it } from "vitest";
import { bindingFor, KEY_TABLE, keyLabel, type KeyPress, type Scope } from "./keys";

/** Every press a test tries: printable ASCII, Escape and Enter, with and without Shift, Alt and Ctrl. */
function presses(): KeyPress[] {
  const keys = ["Escape", "Enter", "Tab"];
  for (let c = 32; c < 127; c++) keys.push(String.fromCharCode(c));
  return keys.flatMap((key) =>
    [false, true].flatMap((shiftKey) =>
      [false, true].flatMap((altKey) =>
        [false, true].map((ctrlKey) => ({ key, shiftKey, altKey, ctrlKey, metaKey: false })),
      ),
    ),
  );
}

/** The labels the help shows for `scope`. */
function listed(scope: Scope): Set<string> {
  return new Set(KEY_TABLE.filter((r) => r.scope === scope).flatMap((r) => r.keys.map((b) => keyLabel(b))));
}

/** The labels of the bindings some press reaches in `scope`. */
function reached(scope: Scope): Set<string> {
  const out = new Set<string>();
  for (const p of presses()) {
    const b = bindingFor(scope, p);
    if (b) out.add(keyLabel(b));
  }
  return out;
}

describe("the key table", () => {
  it("lists exactly the keys each handler reacts to", () => {
    for (const scope of ["review", "decide", "decision", "queues", "app", "help", "find"] as const) {
      expect([...reached(scope)].sort()).toEqual([...listed(scope)].sort());
    }
  });

  it("has every key the review handles, a, z and f included", () => {
    expect([...listed("review")].sort()).toEqual(
      ["?", "/", "a", "f", "j", "k", "n", "o", "p", "s", "u", "v", "w", "z"].sort(),
    );
    expect([...listed("decide")].sort()).toEqual(["Shift A", "Shift E", "Shift R", "d"]);
    expect([...listed("app")]).toEqual(["Alt 1", "Alt 2", "Alt 3", "Alt 4", "Alt 5"]);
  });

  it("gives no key two meanings in one place", () => {
    for (const scope of ["review", "decide", "decision", "queues", "app", "help", "find"] as const) {
      const labels = KEY_TABLE.filter((r) => r.scope === scope).flatMap((r) => r.keys.map((b) => keyLabel(b)));
      expect(new Set(labels).size).toBe(labels.length);
    }
  });

  it("lists the queue's keys and the decision panel's", () => {
    expect([...listed("queues")].sort()).toEqual(["?", "Enter", "j", "k"]);
    expect([...listed("decision")]).toEqual(["Ctrl Enter"]);
  });

  it("matches modifiers: Ctrl and Meta only when named, Alt and Shift only when named", () => {
    const press = (key: string, over: Partial<KeyPress> = {}): KeyPress => ({
      key,
      shiftKey: false,
      altKey: false,
      ctrlKey: false,
      metaKey: false,
      ...over,
    });
    expect(bindingFor("review", press("j"))?.does).toBe("next-file");
    expect(bindingFor("review", press("j", { ctrlKey: true }))).toBeNull();
    expect(bindingFor("review", press("j", { altKey: true }))).toBeNull();
    expect(bindingFor("review", press("?", { shiftKey: true }))?.does).toBe("help");
    expect(bindingFor("decide", press("A"))).toBeNull();
    expect(bindingFor("decide", press("A", { shiftKey: true }))?.does).toBe("approve");
    expect(bindingFor("app", press("3", { altKey: true }))?.does).toBe("outbox");
    expect(bindingFor("app", press("3"))).toBeNull();
    expect(bindingFor("app", press("6", { altKey: true }))).toBeNull();
    expect(bindingFor("decision", press("Enter"))).toBeNull();
    expect(bindingFor("decision", press("Enter", { ctrlKey: true }))?.does).toBe("sign");
    expect(bindingFor("decision", press("Enter", { metaKey: true }))?.does).toBe("sign");
    expect(bindingFor("queues", press("Enter", { ctrlKey: true }))).toBeNull();
  });
});
