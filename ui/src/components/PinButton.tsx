import { useCallback } from "react";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";

/**
 * Pins (or unpins) both versions of the open review, so that no prune of the cache removes
 * the pair; pins are listed, and can be taken off, in Settings.
 */
export function PinButton({ versions }: { versions: [number, number] }) {
  const [old, now] = versions;
  const load = useCallback(() => commands.pinnedVersions(), []);
  const pins = useCommand(load, `${old}-${now}`);
  const changing = useCommand<null>();
  const list = pins.data ?? [];
  const pinned = list.includes(old) && list.includes(now);
  const toggle = () =>
    void changing
      .run(async () => {
        for (const id of new Set([old, now])) await commands.setPinned(id, !pinned);
        return null;
      })
      .then(() => pins.reload());
  return (
    <span className="pin">
      <button
        type="button"
        data-testid="pin-button"
        aria-pressed={pinned}
        disabled={pins.status !== "ok" || changing.busy}
        onClick={toggle}
        title="A pinned version stays in the cache whatever the retention rules say"
      >
        {pinned ? "Pinned (unpin)" : "Pin both versions"}
      </button>
      {changing.error && (
        <span role="alert" className="error">
          {" "}
          {changing.error.message}
        </span>
      )}
    </span>
  );
}
