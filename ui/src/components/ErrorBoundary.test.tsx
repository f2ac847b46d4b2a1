import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ErrorBoundary } from "./ErrorBoundary";

function Broken(): never {
  throw new Error("boom in render");
}

describe("ErrorBoundary", () => {
  it("shows a view's render failure instead of a blank window", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    render(
      <ErrorBoundary view="queues">
        <Broken />
      </ErrorBoundary>,
    );
    expect(screen.getByTestId("view-error").textContent).toContain("boom in render");
    spy.mockRestore();
  });
});
