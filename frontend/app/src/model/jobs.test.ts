import { describe, expect, it } from "vitest";
import { DEFAULT_TIERS, groupJobs, jobMatcher, jobStatus, type Job } from "./jobs";

const job = (id: number, extra: Partial<Job> = {}): Job => ({
  id, pushId: 1, state: "COMPLETED", result: "SUCCESS", tier: 1, failureClassificationId: 1,
  typeName: `test-linux64/opt-mochitest-${id}`, typeSymbol: String(id), groupName: "Mochitests", groupSymbol: "M",
  platform: "linux64", options: "opt", lastModified: 0, ...extra,
});

describe("jobs model", () => {
  it("colours by state until completed, then by result", () => {
    expect(jobStatus({ state: "RUNNING", result: "UNKNOWN" })).toBe("running");
    expect(jobStatus({ state: "COMPLETED", result: "TESTFAILED" })).toBe("testfailed");
  });

  it("filters: tier 3 hidden by default, failures, unclassified, search", () => {
    const jobs = [
      job(1),
      job(2, { tier: 3 }),
      job(3, { result: "TESTFAILED" }),
      job(4, { result: "BUSTED", failureClassificationId: 4 }),
      job(5, { typeName: "build-linux64/opt", typeSymbol: "B", groupSymbol: "?" }),
    ];
    const ids = (filters: Parameters<typeof jobMatcher>[0]) => jobs.filter(jobMatcher(filters)).map((j) => j.id);
    const base = { tiers: DEFAULT_TIERS, failuresOnly: false, unclassifiedOnly: false, search: "" };
    expect(ids(base)).toEqual([1, 3, 4, 5]);
    expect(ids({ ...base, tiers: new Set([1, 2, 3]) })).toEqual([1, 2, 3, 4, 5]);
    expect(ids({ ...base, failuresOnly: true })).toEqual([3, 4]);
    expect(ids({ ...base, unclassifiedOnly: true })).toEqual([3]);
    expect(ids({ ...base, search: "build" })).toEqual([5]);
  });

  it("groups by platform and options, then by group symbol (ungrouped first)", () => {
    const rows = groupJobs(
      [
        job(2),
        job(1),
        job(3, { groupSymbol: "?", typeSymbol: "B" }),
        job(4, { options: "debug" }),
        job(5, { groupSymbol: "R", groupName: "Reftests" }),
      ],
      () => true,
    );
    expect(rows.map((r) => r.key)).toEqual(["linux64 debug", "linux64 opt"]);
    expect(rows[1]?.groups.map((g) => [g.symbol, g.jobs.map((j) => j.id)])).toEqual([
      ["", [3]],
      ["M", [1, 2]],
      ["R", [5]],
    ]);
  });
});
