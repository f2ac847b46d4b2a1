import { useEffect, useRef } from "react";

/** The review's keys, shown by `?`. */
export const REVIEW_KEYS: Array<[string, string]> = [
  ["j / k", "Next / previous file"],
  ["n / p", "Next / previous change"],
  ["v", "Mark the file viewed (or not)"],
  ["d", "Decide: open the decision panel"],
  ["Shift A / R / E", "Approve / reject / escalate, confirmed in the decision panel"],
  ["/", "Search in the file; Enter for the next match"],
  ["u / s", "Unified / side-by-side"],
  ["w", "Wrap long lines or scroll horizontally"],
  ["o", "Open from AMO: focus the add-on field (paste a page URL, slug, guid or id)"],
  ["?", "Show these keys"],
  ["Esc", "Close this list, leave the search box"],
  ["Alt 1…5", "Switch views"],
];

/** A modal list of every key; Escape or the button closes it and focus returns where it was. */
export function KeyHelp({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div className="modal-backdrop">
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="keys-title"
        data-testid="key-help"
        onKeyDown={(e) => {
          if (e.key === "Escape" || e.key === "?") {
            e.preventDefault();
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <h2 id="keys-title">Keyboard</h2>
        <table className="keys">
          <tbody>
            {REVIEW_KEYS.map(([k, what]) => (
              <tr key={k}>
                <th scope="row">
                  <kbd>{k}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" ref={close} onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
