// The one way views send the reviewer elsewhere: `navigate` switches the view (kept in the URL
// hash, so reloads and history keep the place) and may hand the review a pair to open. A tiny
// store outside React, since the review view stays mounted and must hear requests made while
// another view is on screen.
import { useEffect, useRef, useSyncExternalStore } from "react";

/** The top-level views, in sidebar order. */
export const VIEWS = ["queues", "review", "outbox", "search", "settings"] as const;
/** One of the top-level views. */
export type ViewId = (typeof VIEWS)[number];

/** A pair of cached versions for the review to open, and optionally a line to land on. */
export type ReviewTarget = {
  /** The older side (the last approved version, or the version before). */
  old: number;
  /** The newer side, the version under review. */
  next: number;
  /** A 1-based line of a file of `next` to show once the pair is open. */
  at?: { path: string; line: number };
  /** The server version `next` is reviewed as (a queue entry's): identical files may be several
   * server versions, so a decision names the one opened, never one found by its bytes. */
  remoteVersionId?: number;
};

/** Where to go: a view, and for the review, optionally a pair to open there. */
export type Destination = { view: Exclude<ViewId, "review"> } | { view: "review"; open?: ReviewTarget };

/** A review target not yet taken by the review view; `seq` tells two equal requests apart. */
export type OpenRequest = ReviewTarget & { seq: number };

/** What the navigation store holds: the view on screen and the review's pending request. */
export type Navigation = { view: ViewId; request: OpenRequest | null };

/** The view named by a URL hash (`#/search`), the queues for anything else. */
export function parseView(hash: string): ViewId {
  const id = hash.replace(/^#\/?/, "").split("/")[0];
  return (VIEWS as readonly string[]).includes(id ?? "") ? (id as ViewId) : "queues";
}

let state: Navigation = { view: parseView(window.location.hash), request: null };
let seq = 0;
const listeners = new Set<() => void>();

function set(next: Navigation) {
  state = next;
  for (const l of listeners) l();
}

// The hash can change without `navigate` (back and forward, a link, a test): the snapshot
// follows it, keeping the same object while nothing changed as useSyncExternalStore requires.
function snapshot(): Navigation {
  const view = parseView(window.location.hash);
  if (view !== state.view) state = { ...state, view };
  return state;
}

function onHash() {
  set(snapshot());
}

function subscribe(listener: () => void): () => void {
  if (listeners.size === 0) window.addEventListener("hashchange", onHash);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener("hashchange", onHash);
  };
}

/** Shows `to.view`; a review destination with a pair asks the review view to open it. */
export function navigate(to: Destination): void {
  if (parseView(window.location.hash) !== to.view || !window.location.hash.startsWith("#/")) {
    window.location.hash = `#/${to.view}`;
  }
  const open = to.view === "review" ? to.open : undefined;
  set({ view: to.view, request: open ? { ...open, seq: ++seq } : state.request });
}

/** Takes the pending review request `seqTaken`: true for the first caller only, so a request
 * is never opened twice (an effect that runs twice asks twice). */
export function take(seqTaken: number): boolean {
  if (state.request?.seq !== seqTaken) return false;
  set({ ...state, request: null });
  return true;
}

/** The current view and the review's pending request; re-renders the caller when they change. */
export function useNavigation(): Navigation {
  return useSyncExternalStore(subscribe, snapshot);
}

/**
 * Calls `open` with each review request, the one already pending when the caller mounts
 * included; each request reaches one caller once.
 */
export function useReviewRequests(open: (request: OpenRequest) => void): void {
  const latest = useRef(open);
  useEffect(() => {
    latest.current = open;
  }, [open]);
  useEffect(() => {
    const check = () => {
      const request = state.request;
      if (request && take(request.seq)) latest.current(request);
    };
    check();
    listeners.add(check);
    return () => {
      listeners.delete(check);
    };
  }, []);
}

/** Test helper: forgets any pending request and reads the view from the hash again. */
export function resetNavigation(): void {
  set({ view: parseView(window.location.hash), request: null });
}
