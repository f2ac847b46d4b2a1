// The app's keyboard bindings, in one table: the handlers look keys up here and the `?` list
// shows this table, so a key cannot work without being listed, nor be listed without working.
import { VIEWS, type ViewId } from "./navigation";

/** What the review view does on a key, with a review open (or anytime, see `always`). */
export type ReviewCommand =
  | "next-file"
  | "previous-file"
  | "next-change"
  | "previous-change"
  | "toggle-viewed"
  | "find"
  | "help"
  | "unified"
  | "split"
  | "wrap"
  | "next-signal"
  | "previous-signal"
  | "pretty"
  | "amo";

/** What the queue list does on a key. */
export type QueueCommand = "next-entry" | "previous-entry" | "open-entry" | "help";

/** What the review's decision launcher does on a key. */
export type DecideCommand = "decide" | "approve" | "reject" | "escalate";

/** The commands of each place that handles keys. */
export type ScopeCommands = {
  /** The queue list, while it is on screen and no text field has focus. */
  queues: QueueCommand;
  /** The review view, while it is on screen and no text field has focus. */
  review: ReviewCommand;
  /** The decision launcher of an open review. */
  decide: DecideCommand;
  /** The app frame, from anywhere: switch to a view. */
  app: ViewId;
  /** The open key list. */
  help: "close";
  /** The open decision panel. */
  decision: "sign";
  /** The search box of the review. */
  find: "leave";
};
/** A place that handles keys. */
export type Scope = keyof ScopeCommands;

/** The scopes whose keys work while each view is on screen, for the `?` list of that view. */
export const VIEW_SCOPES: Record<"queues" | "review", readonly Scope[]> = {
  queues: ["queues", "help", "app"],
  review: ["review", "decide", "decision", "find", "help", "app"],
};

/** One key and what it does; `shift` and `alt` must match when given. */
export type Binding<S extends Scope> = {
  /** The KeyboardEvent `key` value. */
  key: string;
  shift?: boolean;
  alt?: boolean;
  /** Ctrl (or Cmd on macOS) must be held. */
  ctrl?: boolean;
  does: ScopeCommands[S];
  /** For the review: works before any review is open. */
  always?: boolean;
};

/** One line of the key list: its keys and what they do, handled in `scope`. */
export type KeyRow<S extends Scope = Scope> = { scope: S; what: string; keys: Binding<S>[] };
type AnyRow = { [S in Scope]: KeyRow<S> }[Scope];

/** Every key of the app, in the order the `?` list shows them. */
export const KEY_TABLE: readonly AnyRow[] = [
  {
    scope: "queues",
    what: "Select the next / previous entry",
    keys: [
      { key: "j", does: "next-entry" },
      { key: "k", does: "previous-entry" },
    ],
  },
  {
    scope: "queues",
    what: "Review the selected entry (last approved → this version)",
    keys: [{ key: "Enter", does: "open-entry" }],
  },
  { scope: "queues", what: "Show these keys", keys: [{ key: "?", does: "help" }] },
  {
    scope: "review",
    what: "Next / previous file",
    keys: [
      { key: "j", does: "next-file" },
      { key: "k", does: "previous-file" },
    ],
  },
  {
    scope: "review",
    what: "Next / previous change",
    keys: [
      { key: "n", does: "next-change" },
      { key: "p", does: "previous-change" },
    ],
  },
  {
    scope: "review",
    what: "Next / previous signal (scanner or local rule finding), across files",
    keys: [
      { key: "a", does: "next-signal" },
      { key: "z", does: "previous-signal" },
    ],
  },
  { scope: "review", what: "Mark the file viewed (or not)", keys: [{ key: "v", does: "toggle-viewed" }] },
  {
    scope: "review",
    what: "Pretty-print minified JavaScript, CSS and JSON (or show as stored)",
    keys: [{ key: "f", does: "pretty" }],
  },
  {
    scope: "decide",
    what: "Decide: open the decision panel, the queue's usual action chosen",
    keys: [{ key: "d", does: "decide" }],
  },
  {
    scope: "decision",
    what: "Sign and queue the decision (anywhere in the decision panel)",
    keys: [{ key: "Enter", ctrl: true, does: "sign" }],
  },
  {
    scope: "decide",
    what: "Approve / reject / escalate, confirmed in the decision panel",
    keys: [
      { key: "A", shift: true, does: "approve" },
      { key: "R", shift: true, does: "reject" },
      { key: "E", shift: true, does: "escalate" },
    ],
  },
  { scope: "review", what: "Search in the file; Enter for the next match", keys: [{ key: "/", does: "find" }] },
  { scope: "find", what: "Leave the search box", keys: [{ key: "Escape", does: "leave" }] },
  {
    scope: "review",
    what: "Unified / side-by-side",
    keys: [
      { key: "u", does: "unified" },
      { key: "s", does: "split" },
    ],
  },
  { scope: "review", what: "Wrap long lines or scroll horizontally", keys: [{ key: "w", does: "wrap" }] },
  {
    scope: "review",
    what: "Open from AMO: focus the add-on field (paste a page URL, slug, guid or id)",
    keys: [{ key: "o", does: "amo", always: true }],
  },
  { scope: "review", what: "Show these keys", keys: [{ key: "?", does: "help", always: true }] },
  {
    scope: "help",
    what: "Close this list",
    keys: [
      { key: "Escape", does: "close" },
      { key: "?", does: "close" },
    ],
  },
  {
    scope: "app",
    what: "Switch views (queues, review, outbox, search, settings)",
    keys: VIEWS.map((view, i) => ({ key: String(i + 1), alt: true, does: view })),
  },
];

/** The parts of a key event a binding is matched against. */
export type KeyPress = Pick<KeyboardEvent, "key" | "shiftKey" | "altKey" | "ctrlKey" | "metaKey">;

function matches(b: Binding<Scope>, e: KeyPress): boolean {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.key !== b.key || ctrl !== (b.ctrl ?? false) || e.altKey !== (b.alt ?? false)) return false;
  // Shift is left free unless the binding names it: `?` needs it on most layouts, `j` does not.
  return b.shift === undefined || e.shiftKey === b.shift;
}

function rowsOf<S extends Scope>(scope: S): KeyRow<S>[] {
  return KEY_TABLE.filter((r): r is KeyRow<S> & AnyRow => r.scope === scope);
}

/** The binding `e` presses in `scope`, or null when the key means nothing there. */
export function bindingFor<S extends Scope>(scope: S, e: KeyPress): Binding<S> | null {
  for (const row of rowsOf(scope)) {
    for (const b of row.keys) if (matches(b, e)) return b;
  }
  return null;
}

/** A binding as the key list shows it: "j", "Shift A", "Alt 1", "Esc". */
export function keyLabel(b: Pick<Binding<Scope>, "key" | "shift" | "alt" | "ctrl">): string {
  const name = b.key === "Escape" ? "Esc" : b.key;
  return `${b.ctrl ? "Ctrl " : ""}${b.alt ? "Alt " : ""}${b.shift ? "Shift " : ""}${name}`;
}

/** Whether a key event comes from a text field, where letters are typing, not commands. */
export function typing(e: Pick<KeyboardEvent, "target">): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}
