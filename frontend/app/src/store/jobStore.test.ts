import { describe, expect, it } from "vitest";
import type { Job } from "../model/jobs";
import type { Push } from "./convert";
import { jobsFromTable } from "./convert";
import { JobStore } from "./jobStore";

/** Flushes synchronously and counts the flushes (one per burst, as one per animation frame). */
function storeWithManualFlush(options: { accepts?: (push: Push) => boolean } = {}) {
  const queued: Array<() => void> = [];
  const store = new JobStore({ ...options, scheduler: (flush) => queued.push(flush) });
  let renders = 0;
  store.subscribe(() => (renders += 1));
  const frame = () => queued.splice(0).forEach((flush) => flush());
  return { store, frame, renders: () => renders };
}

const push = (id: number, time: number, extra: Partial<Push> = {}): Push => ({
  id,
  revision: `rev${id}`.padEnd(40, "0"),
  author: "dev@example.com",
  time,
  commitCount: 1,
  commits: [],
  status: {
    completed: 0, pending: 0, running: 0, success: 0, testfailed: 0, busted: 0, exception: 0,
    retry: 0, usercancel: 0, superseded: 0,
  },
  ...extra,
});

const job = (id: number, pushId: number, extra: Partial<Job> = {}): Job => ({
  id, pushId, state: "PENDING", result: "UNKNOWN", tier: 1, failureClassificationId: 1,
  typeName: `test-${id}`, typeSymbol: `t${id}`, groupName: "", groupSymbol: "?",
  platform: "linux64", options: "opt", lastModified: 1000, ...extra,
});

describe("JobStore", () => {
  it("loads pushes newest first with their jobs, in one render", () => {
    const { store, frame, renders } = storeWithManualFlush();
    store.load([push(1, 100), push(3, 300), push(2, 200)], [job(10, 1), job(11, 3), job(12, 3)]);
    frame();
    expect(renders()).toBe(1);
    expect(store.pushes().map((e) => e.push.id)).toEqual([3, 2, 1]);
    expect(store.pushes()[0]?.jobs.size).toBe(2);
    expect(store.jobCount).toBe(3);
  });

  it("builds jobs from a job table's columns and reference lists", () => {
    const jobs = jobsFromTable({
      count: 2,
      pageInfo: { hasNextPage: false, endCursor: null },
      jobTypes: [{ name: "test-a", symbol: "a" }, { name: "test-b", symbol: "b" }],
      jobGroups: [{ name: "Mochitests", symbol: "M" }],
      platforms: [{ platform: "linux64" }],
      optionCollections: [{ options: ["asan", "opt"] }],
      id: [5, 6], pushId: [1, 1], state: ["COMPLETED", "RUNNING"], result: ["TESTFAILED", "UNKNOWN"],
      tier: [1, 3], failureClassificationId: [1, 4], jobType: [1, 0], jobGroup: [0, 0], platform: [0, 0],
      options: [0, 0], lastModified: [1700000000000, null],
    });
    expect(jobs[0]).toMatchObject({ id: 5, typeSymbol: "b", groupSymbol: "M", options: "asan opt", result: "TESTFAILED" });
    expect(jobs[1]).toMatchObject({ id: 6, tier: 3, state: "RUNNING", lastModified: 0 });
  });

  it("an event that leaves lastModified as it was (a bug linked) still moves the job's seq (the details panel reloads on it)", () => {
    const { store, frame } = storeWithManualFlush();
    store.setCursor("10");
    store.load([push(1, 100)], [job(10, 1, { state: "COMPLETED", result: "TESTFAILED" })]);
    frame();
    const seq = store.job(10)?.seq ?? 0;
    store.applyJobEvent("11", job(10, 1, { state: "COMPLETED", result: "TESTFAILED" }));
    expect(store.job(10)?.seq).toBeGreaterThan(seq);
    store.applyJobEvent("12", job(10, 1, { state: "COMPLETED", result: "TESTFAILED", failureClassificationId: 4, lastModified: 2000 }));
    frame();
    expect(store.job(10)?.failureClassificationId).toBe(4); // a classification arrives live
    store.applyJobEvent("12", job(10, 1, { state: "COMPLETED", result: "TESTFAILED", failureClassificationId: 1, lastModified: 3000 }));
    expect(store.job(10)?.failureClassificationId).toBe(4); // the same cursor again: a duplicate
  });

  it("applies job events: a new job appears, a state change replaces it, a burst is one render", () => {
    const { store, frame, renders } = storeWithManualFlush();
    store.setCursor("10");
    store.load([push(1, 100)], [job(10, 1)]);
    frame();
    const before = store.pushes()[0]?.version ?? 0;
    store.applyJobEvent("11", job(11, 1));
    store.applyJobEvent("12", job(10, 1, { state: "RUNNING", lastModified: 2000 }));
    store.applyJobEvent("13", job(10, 1, { state: "COMPLETED", result: "TESTFAILED", lastModified: 3000 }));
    frame();
    expect(renders()).toBe(2);
    expect(store.job(10)).toMatchObject({ state: "COMPLETED", result: "TESTFAILED" });
    expect(store.job(11)).toBeDefined();
    expect(store.pushes()[0]?.version).toBeGreaterThan(before);
    expect(store.cursors.jobs).toBe("13");
  });

  it("ignores duplicate events and events at or before the cursor it resumed from", () => {
    const { store, frame } = storeWithManualFlush();
    store.setCursor("20");
    store.load([push(1, 100)], [job(10, 1, { state: "RUNNING", lastModified: 2000 })]);
    store.applyJobEvent("19", job(10, 1, { state: "COMPLETED", result: "BUSTED", lastModified: 5000 }));
    store.applyJobEvent("21", job(10, 1, { state: "COMPLETED", result: "SUCCESS", lastModified: 3000 }));
    store.applyJobEvent("21", job(10, 1, { state: "COMPLETED", result: "BUSTED", lastModified: 4000 }));
    frame();
    expect(store.job(10)?.result).toBe("SUCCESS");
    expect(store.ignored).toBe(2);
  });

  it("never moves a job back: a late event with an older state or time changes nothing", () => {
    const { store, frame } = storeWithManualFlush();
    store.setCursor("0");
    store.load([push(1, 100)], [job(10, 1, { state: "COMPLETED", result: "SUCCESS", lastModified: 5000 })]);
    store.applyJobEvent("1", job(10, 1, { state: "RUNNING", lastModified: 6000 }));
    store.applyJobEvent("2", job(10, 1, { state: "COMPLETED", result: "TESTFAILED", lastModified: 4000 }));
    frame();
    expect(store.job(10)).toMatchObject({ state: "COMPLETED", result: "SUCCESS", lastModified: 5000 });
    expect(store.ignored).toBe(2);
  });

  it("puts a new push at the top, and holds jobs that arrive before their push", () => {
    const { store, frame } = storeWithManualFlush();
    store.setCursor("0");
    store.load([push(1, 100), push(2, 200)], []);
    store.applyJobEvent("1", job(30, 3, { state: "RUNNING" }));
    expect(store.pushes().map((e) => e.push.id)).toEqual([2, 1]);
    store.applyPushEvent("2", push(3, 300));
    frame();
    expect(store.pushes().map((e) => e.push.id)).toEqual([3, 2, 1]);
    expect(store.pushes()[0]?.jobs.get(30)?.state).toBe("RUNNING");
  });

  it("drops events for pushes older than the loaded window, and pushes another view does not show", () => {
    const { store, frame } = storeWithManualFlush({ accepts: (p) => p.revision.startsWith("rev5") });
    store.setCursor("0");
    store.load([push(5, 500)], []);
    store.applyJobEvent("1", job(40, 4));
    store.applyPushEvent("2", push(4, 400));
    store.applyPushEvent("3", push(6, 600));
    frame();
    expect(store.pushes().map((e) => e.push.id)).toEqual([5]);
    expect(store.job(40)).toBeUndefined();
  });

  it("updates a push's status counts from its events", () => {
    const { store, frame } = storeWithManualFlush();
    store.setCursor("0");
    store.load([push(1, 100)], []);
    const counts = { ...push(1, 100).status, testfailed: 2, success: 5, completed: 7 };
    store.applyPushEvent("4", push(1, 100, { status: counts }));
    frame();
    expect(store.pushes()[0]?.push.status.testfailed).toBe(2);
    expect(store.cursors.pushes).toBe("4");
  });

  it("resumes each stream from its own last cursor", () => {
    const { store } = storeWithManualFlush();
    store.setCursor("7");
    store.load([push(1, 100)], []);
    store.applyJobEvent("9", job(10, 1));
    store.applyPushEvent("8", push(1, 100));
    expect(store.cursors).toEqual({ jobs: "9", pushes: "8" });
    store.reset();
    expect(store.cursors).toEqual({ jobs: null, pushes: null });
  });
});
