import { Fragment, useEffect, useRef } from "react";
import { bindingFor, KEY_TABLE, keyLabel, type Scope } from "../lib/keys";

/** A modal list of the keys of `scopes` (the view on screen), from the table the handlers use;
 * Escape or the button closes it and focus returns where it was. */
export function KeyHelp({ scopes, onClose }: { scopes: readonly Scope[]; onClose: () => void }) {
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
          if (bindingFor("help", e.nativeEvent)?.does === "close") {
            e.preventDefault();
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <h2 id="keys-title">Keyboard</h2>
        <table className="keys">
          <tbody>
            {KEY_TABLE.filter((row) => scopes.includes(row.scope)).map((row) => (
              <tr key={`${row.scope}:${row.what}`} data-scope={row.scope}>
                <th scope="row">
                  {row.keys.map((b, i) => (
                    <Fragment key={keyLabel(b)}>
                      {i > 0 && " / "}
                      <kbd>{keyLabel(b)}</kbd>
                    </Fragment>
                  ))}
                </th>
                <td>{row.what}</td>
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
