import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import type { Action } from "../bindings/Action";
import type { ActionForm } from "../bindings/ActionForm";
import type { DecideReport } from "../bindings/DecideReport";
import type { DecisionTarget } from "../bindings/DecisionTarget";
import type { KeptDecision } from "../bindings/KeptDecision";
import type { ReviewReason } from "../bindings/ReviewReason";
import type { Vocabulary } from "../bindings/Vocabulary";
import { ReasonPicker, reasonsFor } from "./ReasonPicker";
import { useVocabulary } from "../hooks/useVocabulary";
import { hoverText, wordsFor } from "../lib/words";
import { useCommand } from "../hooks/useCommand";
import { setReachable } from "../hooks/useServer";
import { commands, flowCommands } from "../ipc";
import { bindingFor, type DecideCommand } from "../lib/keys";
import "./flow.css";

/** The actions the one-key shortcuts (shift+A, shift+R, shift+E) pick, first offered wins. */
export const QUICK_ACTIONS: Record<Exclude<DecideCommand, "decide">, Action[]> = {
  approve: ["public", "approve_content", "confirm_auto_approved"],
  reject: ["reject", "reject_multiple_versions"],
  escalate: ["request_admin_review"],
};

/** The field a command error is about (`invalid:reasons` → `reasons`), if it names one. */
export function problemField(code: string): string | null {
  return code.startsWith("invalid:") ? code.slice("invalid:".length) : null;
}

/** Reasons typed one per line (or comma-separated), trimmed, blanks dropped. */
export function parseReasons(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((r) => r.trim())
    .filter((r) => r !== "");
}

type Props = {
  /** The cache's id of the version under review (the review's new side). */
  cachedVersionId: number;
  /** The server version it was opened as (a queue entry's), when known: identical files may be
   * several server versions, and the decision must name the one opened. */
  remoteVersionId?: number | null;
  /** Actions to preselect (a one-key shortcut), the first one offered wins; the panel still
   * asks to confirm. */
  preferred?: Action[] | null;
  /** Changed files the reviewer has not marked viewed: approving then gets a warning. */
  unviewed?: number;
  onClose: () => void;
  /** Called once a decision is recorded; with it, the panel leaves what comes next (the next
   * entry, or closing) to the caller instead of waiting on a "Close" button. */
  onDecided?: (report: DecideReport) => void;
};

/** The actions that approve: the ones a reviewer should not take on code they have not read. */
const APPROVING: readonly string[] = [
  "public",
  "approve_content",
  "confirm_auto_approved",
  "approve_multiple_versions",
  "confirm_multiple_versions",
];

/** The action the server's vocabulary names as `queue`'s usual one, if any. */
function usualAction(vocabulary: Vocabulary | null, queue: string): string | null {
  return vocabulary?.queues.find((q) => q.name === queue)?.usual_action ?? null;
}

/**
 * The decision form: only the actions offered for the add-on's queue, only the inputs the chosen
 * action takes. The core validates; its refusal is shown at the field it names. "Sign and queue"
 * signs and records into the outbox (offline too), then sends it if the server answers.
 */
export function DecisionPanel({
  cachedVersionId,
  remoteVersionId = null,
  preferred = null,
  unviewed = 0,
  onClose,
  onDecided,
}: Props) {
  const loaded = useCommand(
    useCallback(
      () => flowCommands.decisionTarget(cachedVersionId, remoteVersionId),
      [cachedVersionId, remoteVersionId],
    ),
  );
  const target: DecisionTarget | null = loaded.data;
  const vocabulary = useVocabulary();
  const actionTitle = (a: Action) => wordsFor(vocabulary, "actions", a).title;
  const loadError = loaded.error?.message ?? null;
  // The reviewer's pick; until then the preferred action the queue offers, else its first.
  const [picked, setAction] = useState<Action | null>(null);
  const offered = target?.actions.map((a) => a.action) ?? [];
  // The queue's usual action, as the server's vocabulary names it, when the queue offers it.
  const usual = target ? usualAction(vocabulary, target.queue) : null;
  const usualOffered = offered.find((a) => a === usual) ?? null;
  const action = picked ?? preferred?.find((a) => offered.includes(a)) ?? usualOffered ?? offered[0] ?? null;
  const [reasons, setReasons] = useState("");
  // The store's reasons picked from the vocabulary's list, by name.
  const [chosen, setChosen] = useState<string[]>([]);
  const [comments, setComments] = useState("");
  const [versions, setVersions] = useState<number[]>([]);
  const [days, setDays] = useState("");
  const [send, setSend] = useState(true);
  const [problem, setProblem] = useState<{ field: string; message: string } | null>(null);
  const [notesInfo, setNotesInfo] = useState<string | null>(null);
  const deciding = useCommand<{ done: DecideReport } | { kept: KeptDecision }>();
  const busy = deciding.busy;
  const outcome = deciding.status === "ok" ? deciding.data : null;
  const done = outcome && "done" in outcome ? outcome.done : null;
  const kept = outcome && "kept" in outcome ? outcome.kept : null;
  const notes = useCommand<string>();
  const submitRef = useRef<HTMLButtonElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const firstRef = useRef<HTMLSelectElement>(null);

  // Focus where the reviewer continues: the confirm button for a preselected action (a shortcut's
  // or the queue's usual one), else the list.
  const chosenForThem = preferred !== null || usualOffered !== null;
  useEffect(() => {
    if (!target) return;
    if (chosenForThem) submitRef.current?.focus();
    else firstRef.current?.focus();
  }, [target, chosenForThem]);

  const form: ActionForm | undefined = target?.actions.find((a) => a.action === action);
  // With reasons from the server, the reviewer picks among them; without, they are typed.
  const listed = action ? reasonsFor(vocabulary?.review_reasons ?? [], action) : [];
  const picking = listed.length > 0;
  const toggleReason = (reason: ReviewReason, on: boolean) => {
    setChosen((c) => (on ? [...c.filter((n) => n !== reason.name), reason.name] : c.filter((n) => n !== reason.name)));
    const line = reason.canned_response.trim();
    if (on && line !== "" && form?.comments !== "forbidden") {
      // The canned response goes into the message once, where the reviewer can edit it.
      setComments((c) => (c.includes(line) ? c : c.trim() === "" ? line : `${c.trimEnd()}\n\n${line}`));
    }
    edited("reasons");
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!action || !target || busy) return;
    setProblem(null);
    const trimmedDays = days.trim();
    const fields = {
      cachedVersionId,
      // The version the target names, so the signed decision is about what the panel showed.
      remoteVersionId: target.version.id,
      action,
      reasons:
        form?.reasons === "forbidden"
          ? []
          : picking
            ? chosen.filter((n) => listed.some((r) => r.name === n))
            : parseReasons(reasons),
      comments: form?.comments === "forbidden" ? "" : comments,
      versions: form?.versions === "forbidden" ? [] : versions,
      delayedRejectionDays:
        form?.delayed_rejection_days === "forbidden" || trimmedDays === "" ? null : Number(trimmedDays),
    };
    // A plain AMO takes no decisions over its API: signed and kept here, as a comment to paste.
    const call = target.amo
      ? () => flowCommands.decideLocally(fields).then((k) => ({ kept: k }))
      : () => flowCommands.decide({ ...fields, send }).then((report) => ({ done: report }));
    void deciding.run(call).then((r) => {
      if (r.status === "error") {
        setProblem({ field: problemField(r.error.code) ?? "decision", message: r.error.message });
      } else if (r.status === "ok" && "done" in r.data) {
        // Only a decision that was meant to be sent says anything about the server.
        if (send) setReachable(r.data.done.online);
        onDecided?.(r.data.done);
      }
    });
  };

  // The reviewer's line notes on this version, appended to the comments as text they can edit.
  const insertNotes = () => {
    setNotesInfo(null);
    void notes.run(() => commands.notesSummary(cachedVersionId)).then((r) => {
      if (r.status === "error") setNotesInfo(r.error.message);
      if (r.status !== "ok") return;
      if (r.data === "") {
        setNotesInfo("No notes on this version.");
        return;
      }
      const text = r.data;
      setComments((c) => (c.trim() === "" ? text : `${c.trimEnd()}\n\n${text}`));
      edited("comments");
    });
  };

  // A refusal names one field; changing that field takes the stale message away.
  const edited = (field: string) => setProblem((p) => (p?.field === field ? null : p));

  const fieldError = (field: string) =>
    problem?.field === field ? (
      <span className="field-error" role="alert" data-testid={`decision-error-${field}`}>
        {problem.message}
      </span>
    ) : null;
  const shows = (need: string | undefined) => need !== undefined && need !== "forbidden";

  return (
    <div className="modal-backdrop">
      <div
        className="modal decision-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="decision-title"
        data-testid="decision-panel"
        onKeyDown={(e) => {
          // The review's keys must not act behind the dialog.
          e.stopPropagation();
          if (e.key === "Escape") {
            e.preventDefault();
            onClose();
          } else if (bindingFor("decision", e.nativeEvent)?.does === "sign") {
            // Signs from any field, the comments box included, as the submit button would.
            e.preventDefault();
            formRef.current?.requestSubmit();
          }
        }}
      >
        <h2 id="decision-title">Decision</h2>
        {loadError && (
          <p role="alert" className="error" data-testid="decision-load-error">
            {loadError}
          </p>
        )}
        {target && done === null && kept === null && (
          <form onSubmit={submit} noValidate ref={formRef}>
            <p data-testid="decision-target">
              {target.addon_name} {target.version.version} <span className="muted" title={hoverText(wordsFor(vocabulary, "queues", target.queue))}>
                in {wordsFor(vocabulary, "queues", target.queue).title}
              </span>
            </p>
            <TargetIdentity target={target} />
            <fieldset>
              <label htmlFor="decision-action">Action</label>{" "}
              <select
                id="decision-action"
                ref={firstRef}
                data-testid="decision-action"
                value={action ?? ""}
                onChange={(e) => {
                  setAction(e.target.value as Action);
                  setProblem(null);
                }}
              >
                {target.actions.map((a) => (
                  <option key={a.action} value={a.action}>
                    {actionTitle(a.action)}
                  </option>
                ))}
              </select>
            </fieldset>
            {shows(form?.reasons) && picking && (
              <ReasonPicker
                reasons={listed}
                chosen={chosen}
                required={form?.reasons === "required"}
                onToggle={toggleReason}
                error={fieldError("reasons")}
              />
            )}
            {shows(form?.reasons) && !picking && (
              <fieldset>
                <label htmlFor="decision-reasons">
                  Reasons{form?.reasons === "required" ? " (required)" : ""}, one per line
                </label>
                <textarea
                  id="decision-reasons"
                  data-testid="decision-reasons"
                  value={reasons}
                  onChange={(e) => {
                    setReasons(e.target.value);
                    edited("reasons");
                  }}
                />
                {fieldError("reasons")}
              </fieldset>
            )}
            {shows(form?.comments) && (
              <fieldset>
                <label htmlFor="decision-comments">
                  {action === "comment" ? "Private comment" : "Message to the developer"}
                  {form?.comments === "required" ? " (required)" : ""}
                </label>
                <textarea
                  id="decision-comments"
                  data-testid="decision-comments"
                  value={comments}
                  onChange={(e) => {
                    setComments(e.target.value);
                    edited("comments");
                  }}
                />
                {fieldError("comments")}
                <button type="button" data-testid="decision-insert-notes" onClick={insertNotes}>
                  Insert my notes
                </button>
                {notesInfo && (
                  <span className="muted" role="status" data-testid="decision-notes-info">
                    {notesInfo}
                  </span>
                )}
              </fieldset>
            )}
            {shows(form?.versions) && (
              <fieldset data-testid="decision-versions">
                <legend>Versions{form?.versions === "required" ? " (required)" : ""}</legend>
                {target.versions.map((v) => (
                  <label key={v.id} className="check">
                    <input
                      type="checkbox"
                      checked={versions.includes(v.id)}
                      onChange={(e) => {
                        const checked = e.target.checked;
                        setVersions((vs) => (checked ? [...vs, v.id] : vs.filter((x) => x !== v.id)));
                        edited("versions");
                      }}
                    />{" "}
                    {v.version} <span className="muted">({v.status})</span>
                  </label>
                ))}
                {fieldError("versions")}
              </fieldset>
            )}
            {shows(form?.delayed_rejection_days) && (
              <fieldset>
                <label htmlFor="decision-days">Delay the rejection by (days, optional)</label>{" "}
                <input
                  id="decision-days"
                  data-testid="decision-days"
                  type="number"
                  min={1}
                  value={days}
                  onChange={(e) => {
                    setDays(e.target.value);
                    edited("delayed_rejection_days");
                  }}
                />
                {fieldError("delayed_rejection_days")}
              </fieldset>
            )}
            {target.amo ? (
              <p className="muted" data-testid="decision-amo-note">
                {target.amo.amo} takes no decisions over its API: this one is signed and kept on this computer, and
                becomes a comment to paste on its review page.
              </p>
            ) : (
              <label className="check">
                <input
                  type="checkbox"
                  data-testid="decision-send"
                  checked={send}
                  onChange={(e) => setSend(e.target.checked)}
                />{" "}
                Send now if the server answers (otherwise it waits in the outbox for the next sync)
              </label>
            )}
            {action !== null && APPROVING.includes(action) && unviewed > 0 && (
              <p className="warning" role="note" data-testid="decision-unviewed-warning">
                {unviewed} changed {unviewed === 1 ? "file is" : "files are"} not marked viewed yet. Approve anyway only
                if you have read them.
              </p>
            )}
            {fieldError("decision")}
            {fieldError("line_comments")}
            <div className="button-row">
              <button type="submit" ref={submitRef} data-testid="decision-submit" disabled={busy || !action}>
                {busy
                  ? "Signing…"
                  : `${target.amo ? "Sign and keep" : "Sign and queue"}: ${action ? actionTitle(action) : ""}`}{" "}
                <kbd>Ctrl Enter</kbd>
              </button>{" "}
              <button type="button" onClick={onClose} data-testid="decision-cancel">
                Cancel
              </button>
            </div>
          </form>
        )}
        {kept && <KeptForAmo kept={kept} onClose={onClose} />}
        {done && (
          <div data-testid="decision-done">
            <p role="status">
              {actionTitle(done.entry.decision.action)} signed and recorded:{" "}
              <span data-testid="decision-state">{done.entry.state}</span>
              {done.online ? "" : " (not sent yet: it goes out with the next sync)"}
            </p>
            <button type="button" onClick={onClose} autoFocus>
              Close
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

/**
 * A decision kept for a plain AMO: the comment to paste (copied on request) and AMO's review
 * page, opened by the app from the URL stored with the decision.
 */
function KeptForAmo({ kept, onClose }: { kept: KeptDecision; onClose: () => void }) {
  const [said, setSaid] = useState<string | null>(null);
  const opening = useCommand<string>();
  const textRef = useRef<HTMLTextAreaElement>(null);
  const copy = () => {
    const text = kept.comment;
    const fallback = () => {
      // Without clipboard access the text is selected for the reviewer's own Ctrl+C.
      textRef.current?.select();
      setSaid("Selected: press Ctrl+C to copy.");
    };
    if (!navigator.clipboard) {
      fallback();
      return;
    }
    navigator.clipboard.writeText(text).then(() => setSaid("Comment copied."), fallback);
  };
  const open = () => {
    void opening.run(() => flowCommands.openReviewPage(kept.decision_id)).then((r) => {
      if (r.status === "ok") setSaid(`Opened ${r.data}`);
      else if (r.status === "error") setSaid(r.error.message);
    });
  };
  return (
    <div data-testid="decision-kept">
      <p role="status">
        Signed with key {kept.kid} and kept on this computer. Paste this on AMO&apos;s review page:
      </p>
      <textarea
        ref={textRef}
        readOnly
        rows={6}
        data-testid="decision-amo-comment"
        value={kept.comment}
        aria-label="Comment for AMO's review page"
      />
      <p className="muted" data-testid="decision-review-url">
        {kept.review_url}
      </p>
      <div className="button-row">
        <button type="button" data-testid="decision-copy-comment" onClick={copy} autoFocus>
          Copy comment
        </button>{" "}
        <button type="button" data-testid="decision-open-review" onClick={open}>
          Open AMO review page
        </button>{" "}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {said && (
        <p role="status" data-testid="decision-kept-said">
          {said}
        </p>
      )}
    </div>
  );
}

/** How many hex digits of the file hash the panel shows: enough to tell files apart at a glance. */
const HASH_PREFIX = 12;

/**
 * Exactly what the signature will name: the add-on's guid, the server's version id and the
 * file's hash, and a warning when the package's manifest declares another gecko id.
 */
function TargetIdentity({ target }: { target: DecisionTarget }) {
  return (
    <>
      <dl className="decision-identity" data-testid="decision-identity">
        <dt>Add-on guid</dt>
        <dd data-testid="decision-guid">{target.addon.guid}</dd>
        <dt>Server version id</dt>
        <dd data-testid="decision-version-id">{target.version.id}</dd>
        <dt>File sha256</dt>
        <dd data-testid="decision-file-hash" title={target.version.file_sha256}>
          {target.version.file_sha256.slice(0, HASH_PREFIX)}…
        </dd>
        <dt>Manifest gecko id</dt>
        <dd data-testid="decision-manifest-guid">{target.manifest_guid ?? "none declared"}</dd>
      </dl>
      {target.warnings.map((w) => (
        <p key={w} role="alert" className="warning" data-testid="decision-warning">
          {w}
        </p>
      ))}
    </>
  );
}
