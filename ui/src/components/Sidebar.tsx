import { useRef, type KeyboardEvent } from "react";
import { VIEWS, type ViewId } from "../lib/navigation";

/** Human labels and shortcut digits of the views. */
export const VIEW_LABELS: Record<ViewId, string> = {
  queues: "Queues",
  review: "Review",
  outbox: "Outbox",
  search: "Search",
  settings: "Settings",
};

type Props = { current: ViewId; onSelect: (view: ViewId) => void };

/** The view switcher: a list of links with roving focus (arrow keys, Home/End). */
export function Sidebar({ current, onSelect }: Props) {
  const refs = useRef<Array<HTMLAnchorElement | null>>([]);
  const onKeyDown = (e: KeyboardEvent, index: number) => {
    let next = -1;
    if (e.key === "ArrowDown") next = (index + 1) % VIEWS.length;
    else if (e.key === "ArrowUp") next = (index + VIEWS.length - 1) % VIEWS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = VIEWS.length - 1;
    if (next >= 0) {
      e.preventDefault();
      refs.current[next]?.focus();
    }
  };
  return (
    <nav className="sidebar" aria-label="Views">
      <div className="brand" aria-hidden="true">
        Vetter
      </div>
      <ul>
        {VIEWS.map((view, i) => (
          <li key={view}>
            <a
              ref={(el) => {
                refs.current[i] = el;
              }}
              href={`#/${view}`}
              id={`nav-${view}`}
              data-testid={`nav-${view}`}
              className={view === current ? "active" : undefined}
              aria-current={view === current ? "page" : undefined}
              aria-keyshortcuts={`Alt+${i + 1}`}
              tabIndex={view === current ? 0 : -1}
              onKeyDown={(e) => onKeyDown(e, i)}
              onClick={(e) => {
                e.preventDefault();
                onSelect(view);
                // Re-selecting the open view does not remount it, so move focus here instead.
                if (view === current) document.getElementById(`view-${view}-title`)?.focus();
              }}
            >
              <span className="nav-label">{VIEW_LABELS[view]}</span>
              <kbd className="nav-key" aria-hidden="true">
                Alt {i + 1}
              </kbd>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
