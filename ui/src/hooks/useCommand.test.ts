import { act, renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { useCommand, type Live, type Reply } from "./useCommand";

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("useCommand", () => {
  it("loads on mount and shows the command's error as a UiError", async () => {
    const ok = renderHook(() => useCommand(() => Promise.resolve(7)));
    await waitFor(() => expect(ok.result.current.status).toBe("ok"));
    expect(ok.result.current.data).toBe(7);
    const failing = () => Promise.reject({ code: "store", message: "disk I/O error" });
    const bad = renderHook(() => useCommand(failing));
    expect(bad.result.current.status).toBe("loading");
    await waitFor(() => expect(bad.result.current.status).toBe("error"));
    expect(bad.result.current.error).toEqual({ code: "store", message: "disk I/O error" });
  });

  it("keeps the newer call's reply when an older one answers last", async () => {
    const { result } = renderHook(() => useCommand<string>());
    const older = deferred<string>();
    const newer = deferred<string>();
    let first: Promise<Reply<string>> = Promise.resolve({ status: "stale" });
    let second: Promise<Reply<string>> = Promise.resolve({ status: "stale" });
    act(() => {
      first = result.current.run(() => older.promise);
    });
    expect(result.current.busy).toBe(true);
    act(() => {
      second = result.current.run(() => newer.promise);
    });
    await act(async () => {
      newer.resolve("newer");
      await second;
    });
    await act(async () => {
      older.resolve("older");
      await first;
    });
    expect(result.current.data).toBe("newer");
    expect(await first).toEqual({ status: "stale" });
    expect(await second).toEqual({ status: "ok", data: "newer" });
  });

  it("keeps an older call's error from replacing a newer call's result", async () => {
    const { result } = renderHook(() => useCommand<number>());
    const older = deferred<number>();
    act(() => void result.current.run(() => older.promise));
    await act(async () => {
      await result.current.run(() => Promise.resolve(2));
    });
    await act(async () => {
      older.reject(new Error("too late"));
      await older.promise.catch(() => {});
    });
    expect(result.current.status).toBe("ok");
    expect(result.current.data).toBe(2);
  });

  it("passes channel messages of the latest call only, also after its reply", async () => {
    const { result } = renderHook(() => useCommand<string>());
    const seen: string[] = [];
    let oldSend: (m: string) => void = () => {};
    let newSend: (m: string) => void = () => {};
    act(() => {
      void result.current.run((live: Live) => {
        oldSend = live((m: string) => seen.push(`old ${m}`));
        return new Promise<string>(() => {});
      });
    });
    oldSend("1");
    await act(async () => {
      await result.current.run((live: Live) => {
        newSend = live((m: string) => seen.push(`new ${m}`));
        return Promise.resolve("done");
      });
    });
    oldSend("2");
    newSend("3");
    expect(seen).toEqual(["old 1", "new 3"]);
  });

  it("drops a late reply of a load that was replaced, and keeps the last data while reloading", async () => {
    const replies = new Map([
      ["a", deferred<string>()],
      ["b", deferred<string>()],
    ]);
    const loads = { a: () => replies.get("a")?.promise ?? Promise.reject(), b: () => replies.get("b")?.promise ?? Promise.reject() };
    const { result, rerender } = renderHook(({ key }: { key: "a" | "b" }) => useCommand(loads[key]), {
      initialProps: { key: "a" as "a" | "b" },
    });
    rerender({ key: "b" });
    await act(async () => {
      replies.get("b")?.resolve("B");
      await replies.get("b")?.promise;
    });
    await act(async () => {
      replies.get("a")?.resolve("A");
      await replies.get("a")?.promise;
    });
    expect(result.current.data).toBe("B");
    replies.set("b", deferred<string>());
    act(() => result.current.reload());
    expect(result.current.data).toBe("B");
    await act(async () => {
      replies.get("b")?.resolve("B2");
      await replies.get("b")?.promise;
    });
    expect(result.current.data).toBe("B2");
  });

  it("forgets a running call on reset and on unmount", async () => {
    const { result, unmount } = renderHook(() => useCommand<number>());
    const running = deferred<number>();
    let reply: Promise<Reply<number>> = Promise.resolve({ status: "stale" });
    act(() => {
      reply = result.current.run(() => running.promise);
    });
    act(() => result.current.reset());
    await act(async () => {
      running.resolve(1);
      await running.promise;
    });
    expect(result.current.status).toBe("idle");
    expect(await reply).toEqual({ status: "stale" });

    const late = deferred<number>();
    act(() => {
      reply = result.current.run(() => late.promise);
    });
    unmount();
    late.resolve(2);
    expect(await reply).toEqual({ status: "stale" });
  });
});
