import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_TIERS, jobMatcher, type Job } from "../model/jobs";
import { JobStore } from "../store/jobStore";
import { PushView } from "./PushView";

afterEach(cleanup);

const job = (id: number, extra: Partial<Job> = {}): Job => ({
  id, pushId: 1, state: "COMPLETED", result: "SUCCESS", tier: 1, failureClassificationId: 1,
  typeName: `test-${id}`, typeSymbol: `t${id}`, groupName: "Mochitests", groupSymbol: "M",
  platform: "linux64", options: "opt", lastModified: 0, ...extra,
});

function renderPush(store: JobStore, selectedJob: number | null = null) {
  const entry = store.pushes()[0];
  if (!entry) throw new Error("no push");
  const matches = jobMatcher({ tiers: DEFAULT_TIERS, failuresOnly: false, unclassifiedOnly: false, search: "" });
  return (
    <PushView entry={entry} version={entry.version} repo="autoland" matches={matches} selectedJob={selectedJob} deferred={false} statusFilters={false} />
  );
}

describe("PushView", () => {
  it("shows the push header, counts and job buttons whose label says the result", () => {
    const store = new JobStore({ scheduler: (flush) => flush() });
    store.load(
      [{
        id: 1, revision: "abcdef0123456789".padEnd(40, "0"), author: "Dev <dev@example.com>", time: Date.UTC(2026, 0, 2),
        commitCount: 1, commits: [{ revision: "abcdef012345".padEnd(40, "1"), author: "Dev", comments: "Bug 1 - fix it\n\nmore" }],
        status: { completed: 2, pending: 0, running: 1, success: 1, testfailed: 1, busted: 0, exception: 0, retry: 0, usercancel: 0, superseded: 0 },
      }],
      [job(1), job(2, { result: "TESTFAILED" }), job(3, { state: "RUNNING", result: "UNKNOWN" }), job(4, { tier: 3 })],
    );
    const { rerender } = render(renderPush(store));
    expect(screen.getByRole("link", { name: "abcdef012345" }).getAttribute("href")).toBe(
      `/jobs?repo=autoland&revision=${"abcdef0123456789".padEnd(40, "0")}`,
    );
    expect(screen.getByText("Bug 1 - fix it")).toBeTruthy();
    expect(screen.getByText("1 failed")).toBeTruthy();
    const failed = screen.getByTitle(/^Tests failed: test-2/);
    expect(failed.className).toContain("st-testfailed");
    expect(failed.dataset["unclassified"]).toBe("1");
    expect(screen.getByTitle(/^Running: test-3/)).toBeTruthy();
    expect(screen.queryByTitle(/test-4/)).toBeNull(); // tier 3 hidden

    store.applyJobEvent("1", job(3, { state: "COMPLETED", result: "BUSTED", lastModified: 10 }));
    rerender(renderPush(store, 3));
    const busted = screen.getByTitle(/^Busted: test-3/);
    expect(busted.className).toContain("st-busted");
    expect(busted.getAttribute("aria-pressed")).toBe("true");
  });

  it("the Push Health badge is computed from the push's jobs and follows their events", () => {
    const store = new JobStore({ scheduler: (flush) => flush() });
    const status = { completed: 0, pending: 0, running: 0, success: 0, testfailed: 0, busted: 0, exception: 0, retry: 0, usercancel: 0, superseded: 0 };
    store.load(
      [{ id: 1, revision: "a".repeat(40), author: "dev", time: 0, commitCount: 0, commits: [], status }],
      [job(1), job(2, { result: "TESTFAILED" }), job(3, { state: "RUNNING", result: "UNKNOWN" }), job(4, { tier: 3, result: "BUSTED", typeName: "build-linux64" })],
    );
    const badge = () => screen.getByRole("button", { name: /^Health:/ });
    const { rerender } = render(renderPush(store));
    expect(badge().textContent).toBe("Health: fail · 1 to investigate"); // the tier-3 busted build does not count
    expect(badge().dataset["health"]).toBe("FAIL");

    store.applyJobEvent("1", job(2, { result: "TESTFAILED", failureClassificationId: 4, lastModified: 10 })); // classified intermittent
    rerender(renderPush(store));
    expect(badge().textContent).toBe("Health: in progress"); // job 3 still runs

    store.applyJobEvent("2", job(3, { state: "COMPLETED", result: "SUCCESS", lastModified: 10 }));
    rerender(renderPush(store));
    expect(badge().textContent).toBe("Health: pass");

    store.applyJobEvent("3", job(5, { result: "BUSTED", typeName: "Build-Win64", failureClassificationId: 4, lastModified: 10 }));
    rerender(renderPush(store));
    expect(badge().textContent).toBe("Health: fail · 1 to investigate"); // a build failure counts, classified or not
  });
});
