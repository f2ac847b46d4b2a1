import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { navigate, parseView, take, useNavigation, useReviewRequests, type OpenRequest } from "./navigation";

describe("navigation", () => {
  it("reads the view from the hash, falling back to the queues", () => {
    expect(parseView("#/search")).toBe("search");
    expect(parseView("#/review/extra")).toBe("review");
    expect(parseView("#/nowhere")).toBe("queues");
    expect(parseView("")).toBe("queues");
  });

  it("switches the view, writes it to the hash and re-renders subscribers", () => {
    const { result } = renderHook(() => useNavigation());
    expect(result.current.view).toBe("queues");
    act(() => navigate({ view: "outbox" }));
    expect(result.current.view).toBe("outbox");
    expect(window.location.hash).toBe("#/outbox");
    expect(result.current.request).toBeNull();
  });

  it("follows a hash changed without it (history, links)", () => {
    const { result } = renderHook(() => useNavigation());
    act(() => {
      window.location.hash = "#/settings";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    expect(result.current.view).toBe("settings");
  });

  it("hands the review one request, taken once, and tells equal requests apart", () => {
    const { result } = renderHook(() => useNavigation());
    act(() => navigate({ view: "review", open: { old: 1, next: 2, at: { path: "a.js", line: 3 } } }));
    const first = result.current.request;
    expect(result.current.view).toBe("review");
    expect(first).toMatchObject({ old: 1, next: 2, at: { path: "a.js", line: 3 } });
    if (!first) throw new Error("expected a request");
    act(() => expect(take(first.seq)).toBe(true));
    expect(take(first.seq)).toBe(false);
    expect(result.current.request).toBeNull();

    act(() => navigate({ view: "review", open: { old: 1, next: 2, at: { path: "a.js", line: 3 } } }));
    expect(result.current.request?.seq).not.toBe(first.seq);
  });

  it("keeps a pending request when the reviewer only switches views", () => {
    const { result } = renderHook(() => useNavigation());
    act(() => navigate({ view: "review", open: { old: 5, next: 6 } }));
    act(() => navigate({ view: "search" }));
    expect(result.current.view).toBe("search");
    expect(result.current.request).toMatchObject({ old: 5, next: 6 });
    // An older request is not taken by the seq of nothing.
    expect(take(-1)).toBe(false);
  });

  it("delivers a request pending before the review mounted, and each request to one taker once", () => {
    act(() => navigate({ view: "review", open: { old: 7, next: 8 } }));
    const got: OpenRequest[] = [];
    const { unmount } = renderHook(() => {
      useReviewRequests((r) => got.push(r));
      useReviewRequests((r) => got.push(r));
    });
    expect(got.map((r) => [r.old, r.next])).toEqual([[7, 8]]);
    act(() => navigate({ view: "review", open: { old: 1, next: 2 } }));
    expect(got.map((r) => [r.old, r.next])).toEqual([[7, 8], [1, 2]]);
    unmount();
    act(() => navigate({ view: "review", open: { old: 3, next: 4 } }));
    expect(got).toHaveLength(2);
  });
});
