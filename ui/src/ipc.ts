// The one place the UI talks to Rust. Argument and result types come from the generated
// bindings (ui/src/bindings, written by ts-rs from the Rust types), never hand-copied.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Action } from "./bindings/Action";
import type { DecideReport } from "./bindings/DecideReport";
import type { DecisionTarget } from "./bindings/DecisionTarget";
import type { LaunchLogin } from "./bindings/LaunchLogin";
import type { LocalEntry } from "./bindings/LocalEntry";
import type { LocalQueue } from "./bindings/LocalQueue";
import type { LoginOutcome } from "./bindings/LoginOutcome";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { PushSummary } from "./bindings/PushSummary";
import type { ServerStatus } from "./bindings/ServerStatus";
import type { SyncProgress } from "./bindings/SyncProgress";
import type { SyncReport } from "./bindings/SyncReport";
import type { AddonVersions } from "./bindings/AddonVersions";
import type { AppInfo } from "./bindings/AppInfo";
import type { FetchProgress } from "./bindings/FetchProgress";
import type { FetchReport } from "./bindings/FetchReport";
import type { FileCounts } from "./bindings/FileCounts";
import type { FileLayout } from "./bindings/FileLayout";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { ReviewSummary } from "./bindings/ReviewSummary";
import type { Side } from "./bindings/Side";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { UiError } from "./bindings/UiError";
import type { ViewOptions } from "./bindings/ViewOptions";
import type { ViewRow } from "./bindings/ViewRow";
import type { Whitespace } from "./bindings/Whitespace";
import type { LineTarget } from "./bindings/LineTarget";
import type { LinkReport } from "./bindings/LinkReport";
import type { RuleFileInfo } from "./bindings/RuleFileInfo";
import type { RuleScan } from "./bindings/RuleScan";
import type { PlacedNote } from "./bindings/PlacedNote";
import type { IndexProgress } from "./bindings/IndexProgress";
import type { SearchResults } from "./bindings/SearchResults";
import type { WrittenReport } from "./bindings/WrittenReport";
import type { KeptDecision } from "./bindings/KeptDecision";

/** Turns whatever a command rejected with into a UiError the views can show. */
export function toUiError(err: unknown): UiError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    const e = err as { code: unknown; message: unknown };
    // A command rejects with a serialized UiError, whose code is one of the ErrorCode strings.
    return { code: String(e.code) as ErrorCode, message: String(e.message) };
  }
  return { code: "ipc", message: err instanceof Error ? err.message : String(err) };
}

/** Typed wrappers over the app's Tauri commands. */
export const commands = {
  /** The app version, data folder and cache schema version. */
  appInfo: (): Promise<AppInfo> => invoke<AppInfo>("app_info"),
  /** Every cached add-on with its versions, oldest first. */
  cachedAddons: (): Promise<AddonVersions[]> => invoke<AddonVersions[]>("cached_addons"),
  /** Imports an XPI from disk, calling `onProgress` as it goes. */
  importXpi: (path: string, onProgress: (p: ImportProgress) => void): Promise<ImportSummary> => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return invoke<ImportSummary>("import_xpi", { path, onProgress: channel });
  },
  /**
   * Opens the review of two versions of one add-on; line counts follow on `onCounts`, and the
   * summary with the local rules' matches on `onSignals` (only when rule files are enabled).
   */
  openReview: (
    old: number,
    next: number,
    whitespace: Whitespace,
    onCounts: (batch: FileCounts[]) => void = () => {},
    onSignals: (summary: ReviewSummary) => void = () => {},
  ): Promise<ReviewSummary> => {
    const counts = new Channel<FileCounts[]>();
    counts.onmessage = onCounts;
    const signals = new Channel<ReviewSummary>();
    signals.onmessage = onSignals;
    return invoke<ReviewSummary>("open_review", {
      old,
      new: next,
      whitespace,
      onCounts: counts,
      onSignals: signals,
    });
  },
  /** The open review's summary now (a scan from Settings may have added local signals). */
  reviewSummary: (): Promise<ReviewSummary> => invoke<ReviewSummary>("review_summary"),
  /** Opens one file of the open review with a layout. */
  viewFile: (index: number, options: ViewOptions): Promise<FileLayout> =>
    invoke<FileLayout>("view_file", { index, options }),
  /** A window of display rows, clipped to the visible columns. */
  fileRows: (
    index: number,
    start: number,
    count: number,
    colStart: number,
    colCount: number,
  ): Promise<ViewRow[]> =>
    invoke<ViewRow[]>("file_rows", { index, start, count, colStart, colCount }),
  /** Shows more hidden lines of one gap. */
  expandGap: (index: number, gap: number, lines: number): Promise<FileLayout> =>
    invoke<FileLayout>("expand_gap", { index, gap, lines }),
  /** Rows of the file whose line contains `needle`. */
  findInFile: (index: number, needle: string): Promise<number[]> =>
    invoke<number[]>("find_in_file", { index, needle }),
  /** Marks a file viewed or not; resolves to the review's viewed count. */
  setViewed: (index: number, viewed: boolean): Promise<number> =>
    invoke<number>("set_viewed", { index, viewed }),
  /** One side of an image file as a data: URL. */
  imageDataUrl: (index: number, side: Side): Promise<string> =>
    invoke<string>("image_data_url", { index, side }),
  /**
   * Searches one cached version, or every one when `versionId` is null, for a regex or literal.
   * Files imported since the last search are indexed first, reported on `onIndex`.
   */
  searchCache: (
    query: {
      pattern: string;
      fixedStrings: boolean;
      ignoreCase: boolean;
      versionId: number | null;
      globs: string[];
      context: number;
    },
    onIndex: (p: IndexProgress) => void = () => {},
  ): Promise<SearchResults> => {
    const channel = new Channel<IndexProgress>();
    channel.onmessage = onIndex;
    return invoke<SearchResults>("search_cache", { ...query, onIndex: channel });
  },
  /** Other cached add-ons sharing files or near-identical code with `addon` (a gecko id). */
  addonLinks: (addon: string): Promise<LinkReport> => invoke<LinkReport>("addon_links", { addon }),
  /** The notes visible from a version as plain text for a decision's comments ("" when none). */
  notesSummary: (versionId: number): Promise<string> => invoke<string>("notes_summary", { versionId }),
  /** Notes visible from a version (its own and carried forward), optionally of one file. */
  versionNotes: (versionId: number, path: string | null): Promise<PlacedNote[]> =>
    invoke<PlacedNote[]>("version_notes", { versionId, path }),
  /** Adds a note on a 1-based line of a file of a version; resolves to its id. */
  addLineNote: (versionId: number, path: string, line: number, body: string): Promise<number> =>
    invoke<number>("add_line_note", { versionId, path, line, body }),
  /** Deletes a note. */
  deleteLineNote: (id: number): Promise<null> => invoke<null>("delete_line_note", { id }),
  /** The folder a report of a pair is written to by default (under the data folder). */
  defaultReportDir: (old: number, next: number): Promise<string> =>
    invoke<string>("default_report_dir", { old, new: next }),
  /** Writes the HTML and Markdown audit report of a pair into `dir`. */
  exportReport: (old: number, next: number, dir: string): Promise<WrittenReport> =>
    invoke<WrittenReport>("export_report", { old, new: next, dir }),
  /** Opens a file of the open review's newer version at a 1-based line, expanding hidden context. */
  revealLine: (path: string, line: number, options: ViewOptions): Promise<LineTarget> =>
    invoke<LineTarget>("reveal_line", { path, line, options }),
  /** Every local YARA rule file. */
  ruleFiles: (): Promise<RuleFileInfo[]> => invoke<RuleFileInfo[]>("rule_files"),
  /** Compiles pasted rule text and stores it under `name`. */
  addRuleText: (name: string, source: string): Promise<RuleFileInfo> =>
    invoke<RuleFileInfo>("add_rule_text", { name, source }),
  /** Reads a rule file from disk, compiles it and stores it under `name`. */
  addRulePath: (name: string, path: string): Promise<RuleFileInfo> =>
    invoke<RuleFileInfo>("add_rule_path", { name, path }),
  /** Deletes a rule file. */
  removeRule: (name: string): Promise<null> => invoke<null>("remove_rule", { name }),
  /** Turns a rule file on or off for scans. */
  setRuleEnabled: (name: string, enabled: boolean): Promise<null> =>
    invoke<null>("set_rule_enabled", { name, enabled }),
  /** Runs the enabled rules over the open review's newer version. */
  scanOpenReview: (): Promise<RuleScan> => invoke<RuleScan>("scan_open_review"),
  /**
   * Fetches an add-on's versions (by AMO page or API URL, slug, guid or id) from the AMO instance
   * the app was started with into the cache, calling `onProgress` as it goes. Refused while
   * another fetch runs.
   */
  fetchFromAmo: (reference: string, onProgress: (p: FetchProgress) => void): Promise<FetchReport> => {
    const channel = new Channel<FetchProgress>();
    channel.onmessage = onProgress;
    return invoke<FetchReport>("fetch_from_amo", { reference, onProgress: channel });
  },
};

/** Typed wrappers over the reviewer's flow with the server: account, queues, sync, decisions. */
/** The decision form's fields, as the decide commands take them. */
export type DecisionFields = {
  cachedVersionId: number;
  action: Action;
  reasons: string[];
  comments: string;
  versions: number[];
  delayedRejectionDays: number | null;
};

export const flowCommands = {
  /** The remembered server, its stored account (never a secret) and the last sync time. */
  serverStatus: (): Promise<ServerStatus> => invoke<ServerStatus>("server_status"),
  /** Logs in; the secret goes straight to the OS keyring and is not kept by the caller. */
  login: (server: string, apiKey: string, apiSecret: string): Promise<LoginOutcome> =>
    invoke<LoginOutcome>("login", { server, apiKey, apiSecret }),
  /** Logs in with the credentials the app was started with, once; null when there were none. */
  launchLogin: (): Promise<LaunchLogin | null> => invoke<LaunchLogin | null>("launch_login"),
  /** Removes the server's secrets from the OS keyring; resolves to how many there were. */
  logout: (): Promise<number> => invoke<number>("logout"),
  /** The cached queues with their entry counts. */
  localQueues: (): Promise<LocalQueue[]> => invoke<LocalQueue[]>("local_queues"),
  /** Cached entries of one queue, or of every queue with `null`. */
  queueEntries: (queue: string | null): Promise<LocalEntry[]> =>
    invoke<LocalEntry[]>("queue_entries", { queue }),
  /** Pushes the outbox then pulls from the server, calling `onProgress` during the pull. */
  syncNow: (onProgress: (p: SyncProgress) => void): Promise<SyncReport> => {
    const channel = new Channel<SyncProgress>();
    channel.onmessage = onProgress;
    return invoke<SyncReport>("sync_now", { onProgress: channel });
  },
  /** What a decision on the cached version would be about, and the actions offered. */
  decisionTarget: (cachedVersionId: number): Promise<DecisionTarget> =>
    invoke<DecisionTarget>("decision_target", { cachedVersionId }),
  /** Signs and records a decision, then pushes it if the server answers. */
  decide: (args: DecisionFields & { send: boolean }): Promise<DecideReport> =>
    invoke<DecideReport>("decide", args),
  /** Signs and keeps a decision on a version fetched from a plain AMO; returns its comment. */
  decideLocally: (args: DecisionFields): Promise<KeptDecision> => invoke<KeptDecision>("decide_locally", args),
  /** Opens AMO's review page of a kept decision in the browser; returns the URL opened. */
  openReviewPage: (decisionId: string): Promise<string> => invoke<string>("open_review_page", { decisionId }),
  /** Every decision in the outbox, newest first. */
  outboxEntries: (): Promise<OutboxEntry[]> => invoke<OutboxEntry[]>("outbox_entries"),
  /** Sends the waiting decisions now. */
  pushOutbox: (): Promise<PushSummary> => invoke<PushSummary>("push_outbox"),
};
