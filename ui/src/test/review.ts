// Test support: a review summary as open_review returns it, shared by the view tests so a new
// field of ReviewSummary or of its permission changes is filled in one place.
import type { FileLayout } from "../bindings/FileLayout";
import type { PermissionChanges } from "../bindings/PermissionChanges";
import type { ReviewFile } from "../bindings/ReviewFile";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { VersionInfo } from "../bindings/VersionInfo";

/** Nothing added or removed. */
export const NO_CHANGE = { added: [], removed: [] };

/** Permission changes with nothing changed. */
export function noPermissionChanges(): PermissionChanges {
  return {
    permissions: NO_CHANGE,
    host_permissions: NO_CHANGE,
    optional_permissions: NO_CHANGE,
    optional_host_permissions: NO_CHANGE,
    content_script_matches: NO_CHANGE,
    content_security_policy: null,
    externally_connectable_matches: NO_CHANGE,
    externally_connectable_ids: NO_CHANGE,
    web_accessible_resources: NO_CHANGE,
    risks: [],
  };
}

/** A review of `old` → `next` with no files and no permission changes, then `over`. */
export function reviewSummary(old: VersionInfo, next: VersionInfo, over: Partial<ReviewSummary> = {}): ReviewSummary {
  return {
    old,
    new: next,
    permissions: noPermissionChanges(),
    files: [],
    totals: { added: 0, deleted: 0, modified: 0, renamed: 0, unchanged: 0, lines_added: 0, lines_removed: 0 },
    viewed: 0,
    whitespace: "all",
    pending: 0,
    signals: [],
    ...over,
  };
}

/** A text file of the review with one line added and one removed. */
export function textFile(path: string, status: ReviewFile["change"]["status"], viewed = false): ReviewFile {
  return {
    viewed,
    change: {
      path,
      old_path: null,
      status,
      kind: "text",
      old_size: 10,
      new_size: 12,
      old_sha256: "a".repeat(64),
      new_sha256: "b".repeat(64),
      added: 1,
      removed: 1,
      similarity: null,
      old_encoding: "utf8",
      new_encoding: "utf8",
      deadline_hit: false,
    },
  };
}

/** The layout of file `index`: `rows` rows, changes and signals at the given rows. */
export function fileLayout(index: number, over: Partial<FileLayout> = {}): FileLayout {
  return {
    index,
    rows: 3,
    max_cols: 40,
    changes: [1],
    syntax: "JavaScript",
    deadline_hit: false,
    options: { layout: "unified", wrap: null, pretty: false },
    pretty: false,
    signals: [],
    ...over,
  };
}
