// Requests to land the review on one line of one version, from views that are not the review
// (search results). A tiny store outside React: the review view is always mounted and listens.
import { useSyncExternalStore } from "react";

/** Open the review of `old` → `version` and show line `line` (1-based) of `path`. */
export type JumpRequest = {
  /** The version before `version`, the review's older side. */
  old: number;
  /** The version holding the line. */
  version: number;
  path: string;
  line: number;
  /** Distinguishes two requests for the same place. */
  seq: number;
};

let current: JumpRequest | null = null;
let seq = 0;
const listeners = new Set<() => void>();

/** Asks the review view to open a pair at a line, and switches to it. */
export function requestJump(req: Omit<JumpRequest, "seq">): void {
  seq += 1;
  current = { ...req, seq };
  listeners.forEach((l) => l());
  if (!window.location.hash.startsWith("#/review")) window.location.hash = "#/review";
}

/** Marks the pending request handled. */
export function clearJump(): void {
  current = null;
  listeners.forEach((l) => l());
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The pending jump request, if any. */
export function useJumpRequest(): JumpRequest | null {
  return useSyncExternalStore(subscribe, () => current);
}
