import { HIDDEN_RANGES } from "../bindings/hiddenChars";

/**
 * Hidden characters (bidi controls, zero-width and other format characters: "Trojan Source")
 * drawn as `<U+XXXX>` markers. The ranges come from the Rust side (vetter-text), so the window
 * marks exactly the characters the CLI and the diff spans mark.
 */

/** Whether code point `cp` is a hidden character. */
export function isHidden(cp: number): boolean {
  let lo = 0;
  let hi = HIDDEN_RANGES.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const range = HIDDEN_RANGES[mid];
    if (range === undefined) break;
    if (range[1] < cp) lo = mid + 1;
    else hi = mid;
  }
  const range = HIDDEN_RANGES[lo];
  return range !== undefined && range[0] <= cp && cp <= range[1];
}

/** The marker drawn for code point `cp`: `<U+202E>`. */
export function markerOf(cp: number): string {
  return `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/** A run of text, or one hidden character to draw as its marker. */
export type Piece = string | { cp: number; marker: string };

/** Cuts `text` into plain runs and hidden characters, in order. */
export function splitHidden(text: string): Piece[] {
  const out: Piece[] = [];
  let run = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isHidden(cp)) {
      if (run) out.push(run);
      run = "";
      out.push({ cp, marker: markerOf(cp) });
    } else {
      run += ch;
    }
  }
  if (run || out.length === 0) out.push(run);
  return out;
}

/** `text` with every hidden character replaced by its marker, for attributes and labels. */
export function revealText(text: string): string {
  return splitHidden(text)
    .map((p) => (typeof p === "string" ? p : p.marker))
    .join("");
}

/** The tooltip of a marker: which code point it stands for and why it is shown. */
export function markerTitle(marker: string): string {
  return `hidden character ${marker.slice(1, -1)}: it changes how the text reads without being seen`;
}
