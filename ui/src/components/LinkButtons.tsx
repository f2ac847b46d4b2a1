// "Copy link" and "Copy line reference" for the file on screen at its current line: a
// vetter:// link a colleague can open, and AMO's `* path#Lx-y` for a review comment. The text is
// made on the Rust side (one owner of the link format) and shown, so it can be copied by hand
// where the clipboard is not available.
import { useRef, useState } from "react";
import { commands, toUiError } from "../ipc";

/** The line of version `version`'s file at display row `row` of file `index`, if that row has one. */
async function lineAt(index: number, row: number | null): Promise<number | null> {
  if (row === null) return null;
  const [r] = await commands.fileRows(index, row, 1, 0, 1);
  return r && r.type === "line" && r.new ? r.new.line : null;
}

/** Two buttons and the text they copied. */
export function LinkButtons({ version, path, index, row }: { version: number; path: string; index: number; row: number | null }) {
  const [copied, setCopied] = useState<{ text: string; said: string } | null>(null);
  const shown = useRef<HTMLInputElement>(null);
  const copy = (which: "link" | "reference") => {
    void lineAt(index, row)
      .then((line) => commands.linkText(version, path, line, line))
      .then(
        (t) => {
          const text = which === "link" ? t.link : (t.reference ?? t.link);
          const said = which === "reference" && t.reference === null ? "No line here; link copied" : "Copied";
          setCopied({ text, said });
          const selectIt = () => {
            setCopied({ text, said: "Selected: press Ctrl+C to copy" });
            window.setTimeout(() => shown.current?.select(), 0);
          };
          if (!navigator.clipboard) selectIt();
          else navigator.clipboard.writeText(text).catch(selectIt);
        },
        (err: unknown) => setCopied({ text: "", said: toUiError(err).message }),
      );
  };
  return (
    <span className="link-buttons">
      <button type="button" data-testid="copy-link" onClick={() => copy("link")} title="A vetter:// link to this file and line">
        Copy link
      </button>
      <button type="button" data-testid="copy-reference" onClick={() => copy("reference")} title="AMO's * path#Lx form, for a review comment">
        Copy line reference
      </button>
      {copied && (
        <span role="status" className="copied">
          {copied.said}
          {copied.text && (
            <>
              {": "}
              <input ref={shown} readOnly aria-label="Copied text" data-testid="copied-text" value={copied.text} size={Math.min(60, copied.text.length)} />
            </>
          )}
        </span>
      )}
    </span>
  );
}
