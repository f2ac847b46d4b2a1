import { useCallback, useState } from "react";
import type { PlacedNote } from "../bindings/PlacedNote";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";

type Props = {
  /** The version being reviewed (the newer side). */
  versionId: number;
  /** The file shown. */
  path: string;
  /** A line to prefill (the one the review last landed on). */
  line?: number | null;
  /** Shows a line of the file in the diff. */
  onGoToLine?: (line: number) => void;
};

/** Where a note stands, in words. */
function placement(n: PlacedNote): string {
  switch (n.placement.kind) {
    case "current":
      return "";
    case "carried":
      return `carried from version ${n.placement.from_version}`;
    case "outdated":
      return `outdated: its line is gone (written on line ${n.original_line} of version ${n.placement.from_version})`;
  }
}

/**
 * The reviewer's private notes on the open file: add one on a line, list them, with notes from
 * earlier versions carried to the line that still has their content, or marked outdated.
 */
export function NotesPanel({ versionId, path, line = null, onGoToLine }: Props) {
  const [lineText, setLineText] = useState(line ? String(line) : "");
  const [body, setBody] = useState("");
  const listed = useCommand(useCallback(() => commands.versionNotes(versionId, path), [versionId, path]));
  const adding = useCommand<number>();
  const deleting = useCommand<null>();
  const notes = listed.data ?? [];
  const error = (adding.error ?? deleting.error ?? listed.error)?.message ?? null;
  // A new landed line prefills the field; the reviewer's own typing stays until then.
  const [prevLine, setPrevLine] = useState(line);
  if (line !== prevLine) {
    setPrevLine(line);
    if (line) setLineText(String(line));
  }

  const lineNo = Number(lineText);
  const lineOk = Number.isInteger(lineNo) && lineNo >= 1;
  const add = () => {
    if (!lineOk || body.trim() === "") return;
    void adding.run(() => commands.addLineNote(versionId, path, lineNo, body)).then((r) => {
      if (r.status !== "ok") return;
      setBody("");
      listed.reload();
    });
  };
  const remove = (id: number) => {
    void deleting.run(() => commands.deleteLineNote(id)).then((r) => r.status === "ok" && listed.reload());
  };

  return (
    <section className="audit-panel" aria-label="Notes on this file" data-testid="notes-panel">
      <h3>Notes</h3>
      <form
        className="note-form"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <label>
          Line{" "}
          <input
            data-testid="note-line"
            inputMode="numeric"
            size={6}
            value={lineText}
            onChange={(e) => setLineText(e.target.value)}
            aria-invalid={lineText !== "" && !lineOk}
          />
        </label>
        <label>
          Note{" "}
          <input data-testid="note-body" value={body} onChange={(e) => setBody(e.target.value)} />
        </label>
        <button type="submit" data-testid="note-add" disabled={adding.busy || !lineOk || body.trim() === ""}>
          Add note
        </button>
      </form>
      {error && (
        <p role="alert" className="error" data-testid="notes-error">
          {error}
        </p>
      )}
      {notes.length === 0 && !error && <p className="muted">No notes on this file.</p>}
      <ul className="notes-list" data-testid="notes-list">
        {notes.map((n) => (
          <li key={n.id} data-testid="note" className={n.placement.kind}>
            {n.line !== null && onGoToLine ? (
              <button type="button" className="link" onClick={() => n.line !== null && onGoToLine(n.line)}>
                line {n.line}
              </button>
            ) : (
              <span>{n.line !== null ? `line ${n.line}` : "—"}</span>
            )}{" "}
            <span className="note-body">{n.body}</span>{" "}
            {n.placement.kind !== "current" && (
              <span className={n.placement.kind === "outdated" ? "error" : "muted"} data-testid="note-placement">
                ({placement(n)})
              </span>
            )}
            <div className="muted note-excerpt">{n.excerpt}</div>
            <button type="button" aria-label={`Delete note on line ${n.line ?? n.original_line}`} onClick={() => remove(n.id)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
