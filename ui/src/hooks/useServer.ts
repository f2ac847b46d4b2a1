import { useCallback, useSyncExternalStore } from "react";
import type { CredentialHome } from "../bindings/CredentialHome";
import type { ServerStatus } from "../bindings/ServerStatus";
import type { SyncProgress } from "../bindings/SyncProgress";
import type { SyncReport } from "../bindings/SyncReport";
import { flowCommands, toUiError } from "../ipc";

/** What every view knows about the review server: shared, because the status bar, the queues
 * and the decision panel all show or change it. */
export type ServerState = {
  /** The server and account, once read from the cache and the keyring. */
  status: ServerStatus | null;
  /** Whether the server answered the last time it was asked; null before it was asked. */
  reachable: boolean | null;
  /** The sync in progress: its latest progress, or null between syncs. */
  syncing: SyncProgress | "starting" | null;
  /** The last sync's report. */
  lastReport: SyncReport | null;
  /** Why the last sync or status read failed. */
  error: string | null;
  /** How many syncs have ended (successfully or not) since the app started. */
  syncsEnded: number;
  /** Where a login made at launch keeps the secrets; null when the app made none. */
  keptIn: CredentialHome | null;
};

const INITIAL: ServerState = {
  status: null,
  reachable: null,
  syncing: null,
  lastReport: null,
  error: null,
  syncsEnded: 0,
  keptIn: null,
};
let state: ServerState = INITIAL;
const listeners = new Set<() => void>();
// Channel messages can arrive after the command's reply: each sync gets an id and progress of
// any run but the current, still-running one is dropped.
let syncRun = 0;

function set(change: Partial<ServerState>) {
  state = { ...state, ...change };
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Reads the server status again (after a login, a logout, a sync). */
export function refreshServerStatus(): Promise<void> {
  return flowCommands.serverStatus().then(
    (status) => set({ status, error: null }),
    (err: unknown) => set({ error: toUiError(err).message }),
  );
}

/** Records whether the server answered (a decision's push, a sync). */
export function setReachable(reachable: boolean) {
  set({ reachable });
}

/** Runs one sync (push, then pull), unless one is running; resolves when it ends. */
export function startSync(): Promise<void> {
  if (state.syncing !== null) return Promise.resolve();
  const id = ++syncRun;
  set({ syncing: "starting", error: null });
  const onProgress = (p: SyncProgress) => {
    if (syncRun === id && state.syncing !== null) set({ syncing: p });
  };
  return flowCommands.syncNow(onProgress).then(
    (report) => {
      if (syncRun !== id) return;
      set({ syncing: null, lastReport: report, reachable: report.online, syncsEnded: state.syncsEnded + 1 });
      return refreshServerStatus();
    },
    (err: unknown) => {
      if (syncRun === id) set({ syncing: null, error: toUiError(err).message, syncsEnded: state.syncsEnded + 1 });
    },
  );
}

/**
 * Runs the login the app was started with (`--login-from-env`, the demo's), if any, then syncs,
 * so the window opens ready to review; otherwise just reads the server status.
 */
export function loginAtLaunch(): Promise<void> {
  return flowCommands.launchLogin().then(
    (login) => {
      if (login === null) return refreshServerStatus();
      set({ keptIn: login.kept_in });
      // A plain AMO has no queues to sync: its add-ons come in with Open from AMO.
      if (login.outcome.kind === "amo") return refreshServerStatus();
      return refreshServerStatus().then(() => startSync());
    },
    (err: unknown) => {
      set({ error: `Logging in at launch failed: ${toUiError(err).message}` });
      return refreshServerStatus();
    },
  );
}

/** The shared server state; re-renders the caller when it changes. */
export function useServer(): ServerState {
  return useSyncExternalStore(
    subscribe,
    useCallback(() => state, []),
  );
}

/** Test helper: forgets everything (each test starts from a fresh app). */
export function resetServerState() {
  syncRun++;
  state = INITIAL;
  for (const l of listeners) l();
}
