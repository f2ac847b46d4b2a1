// Opening a vetter:// link pasted from a colleague or a note: where it lands is worked out on
// the Rust side against the cache, and said plainly when the cache lacks it.
import { useEffect, useEffectEvent, useState } from "react";
import { listen } from "@tauri-apps/api/event";
import type { LinkTarget } from "../bindings/LinkTarget";
import { commands } from "../ipc";
import { useCommand } from "../hooks/useCommand";

/** A field for a link and its Open button; `onOpen` gets where the link lands. A link the app
 * was started with, or handed later by the desktop, is opened at once; `onLaunchLink` is told
 * first. */
export function OpenLinkPanel({ onOpen, onLaunchLink }: { onOpen: (target: LinkTarget) => void; onLaunchLink: () => void }) {
  const [text, setText] = useState("");
  const resolving = useCommand<LinkTarget>();
  const openLink = (link: string) => {
    void resolving.run(() => commands.resolveLink(link)).then((r) => r.status === "ok" && onOpen(r.data));
  };
  const submit = () => openLink(text);
  const arrived = useEffectEvent((link: string) => {
    setText(link);
    onLaunchLink();
    openLink(link);
  });
  const take = useEffectEvent(() => {
    void commands.launchLink().then(
      (link) => link && arrived(link),
      () => null,
    );
  });
  useEffect(() => {
    take();
    // A link opened on the desktop while the app runs is handed to this window (handoff.rs),
    // which is told so and takes it the same way.
    const stop = listen("link-arrived", () => take()).catch(() => null);
    return () => void stop.then((unlisten) => unlisten?.()).catch(() => null);
  }, []);
  return (
    <form
      className="open-link"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label>
        Link{" "}
        <input
          type="text"
          data-testid="link-input"
          placeholder="vetter://addon/…"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
      </label>{" "}
      <button type="submit" data-testid="link-open" disabled={text.trim() === "" || resolving.busy}>
        Open
      </button>
      {resolving.error && (
        <p role="alert" className="error" data-testid="link-error">
          {resolving.error.message}
        </p>
      )}
    </form>
  );
}
