import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { buildTree } from "../lib/fileTree";
import { textFile } from "../test/review";
import { FileTree } from "./FileTree";

describe("FileTree", () => {
  it("shows hidden characters of file and folder names as markers", () => {
    const rows = buildTree([textFile("lib\u2066/pay\u200Bment.js", "added"), textFile("lib/engine.jar!/core.js", "modified")]);
    const { container, getAllByTestId } = render(<FileTree rows={rows} selected={null} onSelect={() => {}} />);
    const marks = [...container.querySelectorAll(".hidden-char")].map((m) => m.textContent);
    expect(marks).toEqual(["<U+2066>", "<U+200B>"]);
    const names = [...container.querySelectorAll(".tree-name")].map((n) => n.textContent);
    expect(names).toContain("lib<U+2066>/");
    expect(names).toContain("pay<U+200B>ment.js");
    // A nested archive's files sit under the archive's name, like a folder.
    expect(names).toContain("engine.jar!/");
    expect(names).toContain("core.js");
    const pay = getAllByTestId("tree-file").find((b) => b.textContent?.includes("pay"));
    expect(pay?.querySelector(".sr-only")?.textContent).toBe(", in lib<U+2066>, added");
    // No hidden character reaches the page as itself.
    expect(container.textContent).not.toMatch(/[\u200B\u2066]/);
  });
});
