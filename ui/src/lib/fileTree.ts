import type { ReviewFile } from "../bindings/ReviewFile";

/** A folder of the review's file tree with roll-ups over everything below it. */
export type FolderNode = {
  type: "folder";
  /** Path of the folder, ending without a slash ("" for the root). */
  path: string;
  /** Last path component. */
  name: string;
  depth: number;
  files: number;
  viewed: number;
  added: number;
  removed: number;
};

/** A file of the review's file tree; `index` points into the review's file list. */
export type FileNode = {
  type: "file";
  index: number;
  name: string;
  depth: number;
  file: ReviewFile;
};

/** One row of the flattened tree, in display order. */
export type TreeRow = FolderNode | FileNode;

type Dir = { name: string; path: string; dirs: Map<string, Dir>; files: Array<{ index: number; name: string }> };

/**
 * Flattens the review's files into folder and file rows: folders first, then files, each sorted
 * by name, with each folder's counts rolled up from everything below it.
 */
export function buildTree(files: readonly ReviewFile[]): TreeRow[] {
  const root: Dir = { name: "", path: "", dirs: new Map(), files: [] };
  files.forEach((f, index) => {
    const parts = f.change.path.split("/");
    const name = parts.pop() ?? f.change.path;
    let dir = root;
    for (const part of parts) {
      let next = dir.dirs.get(part);
      if (!next) {
        next = { name: part, path: dir.path ? `${dir.path}/${part}` : part, dirs: new Map(), files: [] };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    dir.files.push({ index, name });
  });
  const out: TreeRow[] = [];
  const walk = (dir: Dir, depth: number): FolderNode | null => {
    const node: FolderNode | null =
      dir === root
        ? null
        : { type: "folder", path: dir.path, name: dir.name, depth, files: 0, viewed: 0, added: 0, removed: 0 };
    if (node) out.push(node);
    const childDepth = node ? depth + 1 : depth;
    const totals = { files: 0, viewed: 0, added: 0, removed: 0 };
    for (const sub of [...dir.dirs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const child = walk(sub, childDepth);
      if (child) {
        totals.files += child.files;
        totals.viewed += child.viewed;
        totals.added += child.added;
        totals.removed += child.removed;
      }
    }
    for (const f of [...dir.files].sort((a, b) => a.name.localeCompare(b.name))) {
      const file = files[f.index];
      if (!file) continue;
      out.push({ type: "file", index: f.index, name: f.name, depth: childDepth, file });
      totals.files += 1;
      totals.viewed += file.viewed ? 1 : 0;
      totals.added += file.change.added ?? 0;
      totals.removed += file.change.removed ?? 0;
    }
    if (node) Object.assign(node, totals);
    return node;
  };
  walk(root, 0);
  return out;
}

/** The file indices in tree order: the order j/k move through. */
export function fileOrder(rows: readonly TreeRow[]): number[] {
  return rows.flatMap((r) => (r.type === "file" ? [r.index] : []));
}

/** The A/M/D/R letter of a status. */
export function statusLetter(status: ReviewFile["change"]["status"]): string {
  switch (status) {
    case "added":
      return "A";
    case "deleted":
      return "D";
    case "modified":
      return "M";
    case "renamed":
      return "R";
    case "unchanged":
      return "U";
  }
}
