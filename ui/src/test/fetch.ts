// Test support: a fetch report as `fetch_from_amo` returns it, with hostile server text in the
// add-on's name and a skip reason, shared by the panel and review view tests.
import type { FetchReport } from "../bindings/FetchReport";
import type { FetchedVersion } from "../bindings/FetchedVersion";

/** Markup a hostile server could send as a name or reason; it must only ever show as text. */
export const SERVER_PAYLOAD = '<img src=x onerror="document.title=\'pwned\'">';

/** A version of the list, imported as cache version `id` (or already cached). */
export function importedVersion(amoId: number, v: string, id: number, alreadyCached = false): FetchedVersion {
  return {
    amo_version_id: amoId,
    version: v,
    channel: "listed",
    deleted: false,
    outcome: { outcome: "imported", version_id: id, label: v, already_cached: alreadyCached, findings: 0 },
  };
}

/** A version of the list that was skipped for `reason`. */
export function skippedVersion(amoId: number, v: string, reason: string): FetchedVersion {
  return { amo_version_id: amoId, version: v, channel: "listed", deleted: false, outcome: { outcome: "skipped", reason } };
}

/** A report of an anonymous fetch of "Tab Notes" listing `versions` (newest first). */
export function fetchReport(versions: FetchedVersion[]): FetchReport {
  return {
    amo: "https://addons.mozilla.org",
    signed: false,
    filter: "public",
    addon: {
      amo_id: 101,
      guid: "tab-notes@example.com",
      slug: "tab-notes",
      name: `Tab Notes ${SERVER_PAYLOAD}`,
      page_url: "https://addons.mozilla.org/en-US/firefox/addon/tab-notes/",
    },
    listed: versions.length,
    capped: null,
    versions,
    validation_read: false,
    requests: 7,
    bytes: 20480,
  };
}
