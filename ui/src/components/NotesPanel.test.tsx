import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it, vi } from "vitest";
import type { PlacedNote } from "../bindings/PlacedNote";
import { NotesPanel } from "./NotesPanel";

function note(id: number, line: number | null, body: string, placement: PlacedNote["placement"]): PlacedNote {
  return {
    id,
    path: "bg.js",
    line,
    original_line: 4,
    excerpt: "fetch(url)",
    body,
    created_at: "2026-01-01T00:00:00Z",
    placement,
  };
}

function mockNotes() {
  const notes: PlacedNote[] = [
    note(1, 9, "carried one", { kind: "carried", from_version: 1 }),
    note(2, null, "gone one", { kind: "outdated", from_version: 1 }),
  ];
  const calls: Array<{ cmd: string; args: unknown }> = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    const a = args as Record<string, unknown>;
    switch (cmd) {
      case "version_notes":
        return notes;
      case "add_line_note":
        if (a.line === 999) throw { code: "notes", message: "bg.js in version 2 has 20 lines; there is no line 999" };
        notes.unshift(note(3, a.line as number, a.body as string, { kind: "current" }));
        return 3;
      case "delete_line_note":
        notes.splice(
          notes.findIndex((n) => n.id === a.id),
          1,
        );
        return null;
      default:
        throw new Error(`unexpected ${cmd}`);
    }
  });
  return calls;
}

describe("NotesPanel", () => {
  it("lists carried and outdated notes with their placement", async () => {
    mockNotes();
    render(<NotesPanel versionId={2} path="bg.js" />);
    const notes = await screen.findAllByTestId("note");
    expect(notes.map((n) => n.className)).toEqual(["carried", "outdated"]);
    expect(notes[0]?.textContent).toContain("carried from version 1");
    expect(notes[1]?.textContent).toContain("outdated: its line is gone");
  });

  it("adds a note on the prefilled line and lists it", async () => {
    const calls = mockNotes();
    const user = userEvent.setup();
    render(<NotesPanel versionId={2} path="bg.js" line={12} />);
    expect(screen.getByTestId<HTMLInputElement>("note-line").value).toBe("12");
    await user.type(screen.getByTestId("note-body"), "sends the URL <script>");
    await user.click(screen.getByTestId("note-add"));
    await waitFor(() => expect(screen.getAllByTestId("note")).toHaveLength(3));
    expect(calls).toContainEqual({
      cmd: "add_line_note",
      args: { versionId: 2, path: "bg.js", line: 12, body: "sends the URL <script>" },
    });
    expect(screen.getAllByTestId("note")[0]?.textContent).toContain("sends the URL <script>");
    expect(document.querySelector("script")).toBeNull();
  });

  it("shows the core's error for a line past the end, and deletes a note", async () => {
    mockNotes();
    const user = userEvent.setup();
    render(<NotesPanel versionId={2} path="bg.js" />);
    await user.type(screen.getByTestId("note-line"), "999");
    await user.type(screen.getByTestId("note-body"), "x");
    await user.click(screen.getByTestId("note-add"));
    expect((await screen.findByTestId("notes-error")).textContent).toContain("no line 999");
    await user.click(screen.getByRole("button", { name: "Delete note on line 9" }));
    await waitFor(() => expect(screen.getAllByTestId("note")).toHaveLength(1));
  });

  it("refuses a line that is not a positive number", async () => {
    mockNotes();
    const user = userEvent.setup();
    render(<NotesPanel versionId={2} path="bg.js" />);
    await user.type(screen.getByTestId("note-line"), "0");
    await user.type(screen.getByTestId("note-body"), "x");
    expect(screen.getByTestId<HTMLButtonElement>("note-add").disabled).toBe(true);
  });

  it("asks the review to show a note's line", async () => {
    mockNotes();
    const go = vi.fn();
    const user = userEvent.setup();
    render(<NotesPanel versionId={2} path="bg.js" onGoToLine={go} />);
    await user.click(await screen.findByRole("button", { name: "line 9" }));
    expect(go).toHaveBeenCalledWith(9);
  });
});
