// A queue entry's codes as a reviewer reads them, shared by the queue and the review header.
import type { LocalEntry } from "../bindings/LocalEntry";
import type { Vocabulary } from "../bindings/Vocabulary";
import { hoverText, type Kind, wordsFor } from "../lib/words";

/** Codes as words, each with its description and code on hover. */
export function Codes({ vocabulary, kind, codes }: { vocabulary: Vocabulary | null; kind: Kind; codes: string[] }) {
  return (
    <ul className="codes">
      {codes.map((code) => {
        const w = wordsFor(vocabulary, kind, code);
        return (
          <li key={code} title={hoverText(w)} data-code={code}>
            {w.title}
          </li>
        );
      })}
    </ul>
  );
}

/** How many weight factors a row shows; the rest are in the hover. */
const SHOWN_FACTORS = 3;

/** The weight and the factors it is made of, largest first. */
export function Weight({ vocabulary, entry }: { vocabulary: Vocabulary | null; entry: LocalEntry }) {
  const parts = entry.weight_breakdown.map((p) => ({ ...p, words: wordsFor(vocabulary, "weight_factors", p.factor) }));
  const all = parts.map((p) => `${p.words.title} ${p.points > 0 ? "+" : ""}${p.points}`).join("\n");
  return (
    <div className="weight" title={all || "No breakdown from the server"} data-testid="entry-weight">
      <span className="num">{entry.weight}</span>
      {parts.length > 0 && (
        <ul className="weight-parts">
          {parts.slice(0, SHOWN_FACTORS).map((p) => (
            <li key={p.factor} data-factor={p.factor}>
              {p.words.title} {p.points > 0 ? "+" : ""}
              {p.points}
            </li>
          ))}
          {parts.length > SHOWN_FACTORS && <li className="muted">and {parts.length - SHOWN_FACTORS} more</li>}
        </ul>
      )}
    </div>
  );
}

