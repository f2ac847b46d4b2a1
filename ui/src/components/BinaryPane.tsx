import { useCallback } from "react";
import type { FileChange } from "../bindings/FileChange";
import type { Side } from "../bindings/Side";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";

function Facts({ label, size, sha }: { label: string; size: number | null; sha: string | null }) {
  return (
    <div className="bin-side">
      <h3>{label}</h3>
      {size === null ? (
        <p className="muted">Not present</p>
      ) : (
        <dl className="facts">
          <dt>Size</dt>
          <dd>{size.toLocaleString()} bytes</dd>
          <dt>SHA-256</dt>
          <dd>{sha}</dd>
        </dl>
      )}
    </div>
  );
}

function Picture({ index, side, label }: { index: number; side: Side; label: string }) {
  const image = useCommand(useCallback(() => commands.imageDataUrl(index, side), [index, side]));
  const src = image.data;
  if (image.error) return <p className="error">{image.error.message}</p>;
  if (!src) return <p aria-busy="true">Loading…</p>;
  return <img src={src} alt={`${label} image`} className="bin-image" data-testid={`image-${side}`} />;
}

/** Images side by side; other binaries by size and hash. */
export function BinaryPane({ index, change }: { index: number; change: FileChange }) {
  const image = change.kind === "image";
  return (
    <div className="binary-pane" data-testid="binary-pane">
      <div className="bin-columns">
        {(["old", "new"] as const).map((side) => {
          const size = side === "old" ? change.old_size : change.new_size;
          const sha = side === "old" ? change.old_sha256 : change.new_sha256;
          const label = side === "old" ? "Before" : "After";
          return (
            <div key={side} className="bin-column">
              <Facts label={label} size={size} sha={sha} />
              {image && size !== null && <Picture index={index} side={side} label={label} />}
            </div>
          );
        })}
      </div>
    </div>
  );
}
