// "Also open by …": who else has a review open, from the server's presence records. A courtesy,
// not a lock: offline, or against a server without presence, nobody is shown.
import { useEffect, useState } from "react";
import type { Presence } from "../bindings/Presence";
import type { Viewer } from "../bindings/Viewer";
import { flowCommands } from "../ipc";

/** How often an open review renews its presence and the queue reads everyone's (the server's
 * presence lasts three of these). */
export const PRESENCE_INTERVAL_MS = 30_000;

/** The other reviewers with add-on `addonId`'s review open, renewed while `addonId` is set (the
 * review of a synced entry is open); the server is told when the review closes or changes. */
export function useReviewPresence(addonId: number | null): Viewer[] {
  const [others, setOthers] = useState<{ addonId: number; viewers: Viewer[] } | null>(null);
  useEffect(() => {
    if (addonId === null) return;
    let live = true;
    const touch = () =>
      void flowCommands.touchPresence(addonId).then(
        (viewers) => live && setOthers({ addonId, viewers }),
        () => live && setOthers({ addonId, viewers: [] }),
      );
    touch();
    const timer = window.setInterval(touch, PRESENCE_INTERVAL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
      // Best effort: a presence not withdrawn expires by itself.
      void flowCommands.leavePresence(addonId).catch(() => null);
    };
  }, [addonId]);
  return others !== null && others.addonId === addonId ? others.viewers : [];
}

/** Every add-on other reviewers have open, by add-on id, read while `active`. */
export function useQueuePresence(active: boolean): Map<number, Viewer[]> {
  const [rows, setRows] = useState<Presence[]>([]);
  useEffect(() => {
    if (!active) return;
    let live = true;
    const read = () =>
      void flowCommands.presence().then(
        (list) => live && setRows(list),
        () => live && setRows([]),
      );
    read();
    const timer = window.setInterval(read, PRESENCE_INTERVAL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [active]);
  return new Map(rows.map((p) => [p.addon_id, p.others]));
}
