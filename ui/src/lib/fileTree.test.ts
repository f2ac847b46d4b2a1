import { describe, expect, it } from "vitest";
import type { ReviewFile } from "../bindings/ReviewFile";
import { buildTree, fileOrder } from "./fileTree";

function file(path: string, added: number | null, removed: number | null, viewed = false): ReviewFile {
  return {
    viewed,
    change: {
      path,
      old_path: null,
      status: "modified",
      kind: added === null ? "binary" : "text",
      old_size: 1,
      new_size: 1,
      old_sha256: "a".repeat(64),
      new_sha256: "b".repeat(64),
      added,
      removed,
      similarity: null,
      old_encoding: null,
      new_encoding: null,
      deadline_hit: false,
    },
  };
}

describe("buildTree", () => {
  it("rolls counts up to every enclosing folder", () => {
    const rows = buildTree([file("a/b/x.js", 3, 1, true), file("a/y.js", 2, 2), file("top.js", 1, 0)]);
    const a = rows.find((r) => r.type === "folder" && r.path === "a");
    const ab = rows.find((r) => r.type === "folder" && r.path === "a/b");
    expect(a).toMatchObject({ files: 2, viewed: 1, added: 5, removed: 3 });
    expect(ab).toMatchObject({ files: 1, viewed: 1, added: 3, removed: 1 });
  });

  it("puts folders before files and keeps the review's indices", () => {
    const files = [file("z.js", 1, 1), file("lib/a.js", 1, 1), file("b.png", null, null)];
    const rows = buildTree(files);
    expect(rows.map((r) => (r.type === "folder" ? `${r.name}/` : r.name))).toEqual(["lib/", "a.js", "b.png", "z.js"]);
    expect(fileOrder(rows)).toEqual([1, 2, 0]);
  });
});
