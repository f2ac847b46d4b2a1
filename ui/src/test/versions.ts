// Test support: one cached version as the commands return it, shared by the view tests so a new
// field of VersionInfo is filled in one place.
import type { VersionInfo } from "../bindings/VersionInfo";

/** A cached zip build of an add-on, version string `v`, with `name` as its display name. */
export function cachedVersion(id: number, v: string, name = "Addon"): VersionInfo {
  return {
    id,
    guid: "x@example.com",
    has_gecko_id: true,
    name,
    version: v,
    source_name: `${v}.xpi`,
    xpi_sha256: "0".repeat(64),
    xpi_size: 100,
    imported_at: "2026-01-01T00:00:00Z",
    manifest_version: 2,
    files: 3,
    total_size: 300,
    format: "zip",
    kind: "extension",
    signature_note: null,
    root_prefix: null,
    short_hash: "00000000",
    same_version_builds: 0,
    label: v,
    origin: null,
  };
}
