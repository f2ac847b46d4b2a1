// The one place the UI talks to Rust. The command wrappers are generated from the Rust
// `#[tauri::command]` functions (ui/src/bindings/commands.ts, written by src-tauri/build.rs and
// `cargo test --workspace --lib export_bindings`), so a command's name, arguments and types are
// written once, in Rust; argument and result types are the ts-rs bindings, never hand-copied.
import { commands, flowCommands } from "./bindings/commands";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { UiError } from "./bindings/UiError";

export { commands, flowCommands };

/** The decision form's fields, as the decide commands take them. */
export type DecisionFields = Parameters<typeof flowCommands.decideLocally>[0];

/** Turns whatever a command rejected with into a UiError the views can show. */
export function toUiError(err: unknown): UiError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    const e = err as { code: unknown; message: unknown };
    // A command rejects with a serialized UiError, whose code is one of the ErrorCode strings.
    return { code: String(e.code) as ErrorCode, message: String(e.message) };
  }
  return { code: "ipc", message: err instanceof Error ? err.message : String(err) };
}
