import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LiveSubscription } from "../api/live";
import { LiveContext, type LiveSource } from "../api/liveContext";
import type { PushHealthChangedSubscription } from "../generated/graphql";
import type { Job } from "../model/jobs";
import type { Push } from "../store/convert";
import type { StoredJob } from "../store/jobStore";
import { fakeFetch, pushHealth } from "../test/fixtures";
import { PushHealthAction } from "./PushHealth";

/** The page's live connection as a test drives it: the subscriptions made, and events pushed in. */
class FakeLive implements LiveSource {
  subs: Array<LiveSubscription<PushHealthChangedSubscription>> = [];
  closed = 0;
  watch<TData>(sub: LiveSubscription<TData>) {
    this.subs.push(sub as unknown as LiveSubscription<PushHealthChangedSubscription>);
    return () => {
      this.closed += 1;
    };
  }
  emit(cursor: string, health: ReturnType<typeof pushHealth>) {
    for (const sub of this.subs) {
      const next = sub.next({ pushHealthChanged: { cursor, pushHealth: health } });
      if (next) sub.variables.after = next;
    }
  }
}

const push: Push = {
  id: 1, revision: "r".repeat(40), author: "dev", time: 0, commitCount: 0, commits: [],
  status: { completed: 0, pending: 0, running: 0, success: 0, testfailed: 0, busted: 0, exception: 0, retry: 0, usercancel: 0, superseded: 0 },
};

const job = (id: number, extra: Partial<Job> = {}): StoredJob => ({
  id, pushId: 1, state: "COMPLETED", result: "SUCCESS", tier: 1, failureClassificationId: 1,
  typeName: `test-${id}`, typeSymbol: `t${id}`, groupName: "", groupSymbol: "?",
  platform: "linux64", options: "opt", lastModified: 0, seq: id, ...extra,
});

/** The push's jobs as the grid holds them: `failing` unclassified test failures and a success. */
const jobsWith = (failing: number): ReadonlyMap<number, StoredJob> =>
  new Map([job(1), ...Array.from({ length: failing }, (_, i) => job(10 + i, { result: "TESTFAILED" }))].map((j) => [j.id, j]));

beforeEach(() => window.history.replaceState(null, "", "/jobs?repo=autoland"));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("Push Health", () => {
  it("the badge names the verdict; pressed, the panel loads after liveCursor and follows pushHealthChanged", async () => {
    const { fetch, sent } = fakeFetch({
      LiveCursor: { data: { liveCursor: "50" } },
      PushHealth: { data: { pushHealth: pushHealth("FAIL", 2) } },
    });
    vi.stubGlobal("fetch", fetch);
    const live = new FakeLive();
    const view = (failing: number, version: number) => (
      <LiveContext.Provider value={live}>
        <PushHealthAction repo="autoland" push={push} jobs={jobsWith(failing)} version={version} />
      </LiveContext.Provider>
    );
    const { rerender } = render(view(2, 1));
    const badge = screen.getByRole("button", { name: "Health: fail · 2 to investigate" });
    expect(badge.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(badge);
    expect(window.location.search).toContain(`pushHealth=${"r".repeat(40)}`);

    const panel = await screen.findByRole("region", { name: /Push Health/ });
    await waitFor(() => expect(panel.textContent).toContain("Need investigation (2)"));
    expect(sent.map((r) => r.operation)).toEqual(["LiveCursor", "PushHealth"]); // the cursor first
    expect(live.subs).toHaveLength(1);
    expect(live.subs[0]?.variables).toEqual({ repository: "autoland", revision: "r".repeat(40), after: "50" });

    act(() => live.emit("52", pushHealth("UNKNOWN", 1)));
    await waitFor(() => expect(panel.textContent).toContain("Need investigation (1)"));
    act(() => live.emit("51", pushHealth("FAIL", 3))); // a replay older than what is shown: ignored
    act(() => live.emit("53", pushHealth("PASS", 0)));
    await waitFor(() => expect(panel.textContent).toContain("No failures."));
    expect(panel.dataset["updates"]).toBe("2");
    expect(panel.querySelector("[data-health]")?.textContent).toBe("Health: pass");

    // The badge follows the push's jobs (computed in the page, model/health.ts).
    rerender(view(0, 2));
    expect(screen.getByRole("button", { name: "Health: pass" }).getAttribute("aria-expanded")).toBe("true");

    fireEvent.click(screen.getByRole("button", { name: "Close Push Health" }));
    expect(screen.queryByRole("region", { name: /Push Health/ })).toBeNull();
    expect(live.closed).toBe(1); // the subscription ends with the panel
    expect(window.location.search).not.toContain("pushHealth");
  });

  it("a failed job's name selects it (the details panel opens)", async () => {
    window.history.replaceState(null, "", `/jobs?repo=autoland&pushHealth=${"r".repeat(40)}`);
    const { fetch } = fakeFetch({ LiveCursor: { data: { liveCursor: "1" } }, PushHealth: { data: { pushHealth: pushHealth("FAIL", 1) } } });
    vi.stubGlobal("fetch", fetch);
    render(
      <LiveContext.Provider value={new FakeLive()}>
        <PushHealthAction repo="autoland" push={push} jobs={jobsWith(1)} version={1} />
      </LiveContext.Provider>,
    );
    fireEvent.click(await screen.findByRole("button", { name: "test-0" }));
    expect(window.location.search).toContain("selectedJob=100");
  });

  it("a cursor the server no longer keeps: loads again from a new cursor and subscribes after it", async () => {
    window.history.replaceState(null, "", `/jobs?repo=autoland&pushHealth=${"r".repeat(40)}`);
    let cursor = 10;
    const { fetch, sent } = fakeFetch({
      LiveCursor: () => ({ data: { liveCursor: String((cursor += 10)) } }),
      PushHealth: { data: { pushHealth: pushHealth("FAIL", 1) } },
    });
    vi.stubGlobal("fetch", fetch);
    const live = new FakeLive();
    render(
      <LiveContext.Provider value={live}>
        <PushHealthAction repo="autoland" push={push} jobs={jobsWith(1)} version={1} />
      </LiveContext.Provider>,
    );
    await waitFor(() => expect(live.subs).toHaveLength(1));
    act(() => live.subs[0]?.error([{ message: "expired", extensions: { code: "CURSOR_EXPIRED" } }]));
    await waitFor(() => expect(live.subs).toHaveLength(2));
    expect(live.closed).toBe(1);
    expect(live.subs.map((sub) => sub.variables.after)).toEqual(["20", "30"]);
    expect(sent.map((r) => r.operation)).toEqual(["LiveCursor", "PushHealth", "LiveCursor", "PushHealth"]);
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
