import { markerTitle, splitHidden } from "../lib/hidden";

/** One hidden character drawn as its marker, styled apart from the text around it. */
export function HiddenMark({ marker, className }: { marker: string; className?: string }) {
  return (
    <span className={className ? `hidden-char ${className}` : "hidden-char"} title={markerTitle(marker)} data-testid="hidden-char">
      {marker}
    </span>
  );
}

/**
 * Add-on text (a file name, a search excerpt) as React text, with hidden characters (bidi
 * controls, zero-width and other format characters) drawn as `<U+XXXX>` markers.
 */
export function Visible({ text }: { text: string }) {
  const pieces = splitHidden(text);
  return (
    <>
      {pieces.map((p, i) => (typeof p === "string" ? p : <HiddenMark key={i} marker={p.marker} />))}
    </>
  );
}
