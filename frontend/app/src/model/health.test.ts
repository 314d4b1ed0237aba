import { describe, expect, it } from "vitest";
import { pushHealth } from "../test/fixtures";
import { applyHealthEvent, EMPTY_HEALTH, groupFailures, healthBadgeText, healthCategory, healthSummaryOf, loadHealth, type HealthJob } from "./health";

describe("Push Health", () => {
  it("names the verdict in words, with the failures to investigate", () => {
    expect(healthBadgeText({ result: "FAIL", needInvestigation: 3 })).toBe("Health: fail · 3 to investigate");
    expect(healthBadgeText({ result: "PASS", needInvestigation: 0 })).toBe("Health: pass");
    expect(healthBadgeText({ result: "UNKNOWN", needInvestigation: 0 })).toBe("Health: in progress");
  });

  it("groups failures, needing investigation first, empty groups left out", () => {
    const health = pushHealth("FAIL", 2);
    const [first, second] = health.failures;
    if (!first || !second) throw new Error("fixture");
    const groups = groupFailures([{ ...first, classification: "KNOWN_INTERMITTENT" }, second]);
    expect(groups.map((g) => [g.label, g.failures.length])).toEqual([
      ["Need investigation", 1],
      ["Known intermittent", 1],
    ]);
  });

  it("applies events after the cursor it loaded at, newest wins, duplicates and replays ignored", () => {
    let state = loadHealth("10", pushHealth("FAIL", 1));
    expect(applyHealthEvent(state, "10", pushHealth("PASS", 0))).toBe(state); // at the cursor: already in the query
    state = applyHealthEvent(state, "12", pushHealth("UNKNOWN", 0));
    expect(state.health?.summary.result).toBe("UNKNOWN");
    expect(applyHealthEvent(state, "11", pushHealth("FAIL", 4))).toBe(state); // older than the last applied
    state = applyHealthEvent(state, "13", pushHealth("PASS", 0));
    expect([state.cursor, state.health?.summary.result, state.updates]).toEqual(["13", "PASS", 2]);
    expect(applyHealthEvent(EMPTY_HEALTH, "1", pushHealth("PASS", 0)).updates).toBe(1);
  });

  // The same push as tests/schema/test_push_health.py's test_push_health_classifies_failures_by_the_rules:
  // the page's badge must say what the server's healthSummary says.
  const job = (typeName: string, result: HealthJob["result"], extra: Partial<HealthJob> = {}): HealthJob => ({
    typeName, typeSymbol: "x", platform: "linux64", tier: 1, failureClassificationId: 1, result, ...extra,
  });

  it("computes the server's summary from the push's jobs (the rules of apps/failures/health.py)", () => {
    const summary = healthSummaryOf([
      job("test-linux64/opt-mochitest-1", "TESTFAILED", { failureClassificationId: 6 }), // new failure: to investigate
      job("test-linux64/opt-mochitest-2", "TESTFAILED", { failureClassificationId: 8 }), // known intermittent
      job("test-linux64/opt-xpcshell-1", "TESTFAILED", { failureClassificationId: 2 }), // fixed by commit
      job("test-linux64/opt-mochitest-3", "SUCCESS"),
      job("test-linux64/opt-mochitest-4", "UNKNOWN"), // still running
      job("test-linux64/opt-tier3-1", "TESTFAILED", { tier: 3 }), // tier 3: not counted
      job("build-linux64/opt", "BUSTED", { failureClassificationId: 4 }), // a build failure counts even classified
      job("Build-Win64/debug", "SUCCESS"),
      job("source-test-mozlint-eslint", "SUCCESS", { platform: "lint" }),
    ]);
    expect(summary.result).toBe("FAIL");
    expect(summary.needInvestigation).toBe(2);
    expect(summary.metrics.test).toEqual({ result: "FAIL", jobs: 5, failures: 3, needInvestigation: 1, inProgress: 1 });
    expect([summary.metrics.build.result, summary.metrics.build.failures]).toEqual(["FAIL", 1]);
    expect([summary.metrics.lint.result, summary.metrics.lint.failures]).toEqual(["PASS", 0]);
  });

  it("verdicts: pass, in progress, a push without jobs passes, classified test failures pass", () => {
    expect(healthSummaryOf([job("test-a-1", "SUCCESS")]).result).toBe("PASS");
    expect(healthSummaryOf([job("test-a-1", "UNKNOWN")]).result).toBe("UNKNOWN");
    const empty = healthSummaryOf([]);
    expect([empty.result, empty.needInvestigation, empty.metrics.test.result, empty.metrics.build.result]).toEqual(["PASS", 0, "NONE", "NONE"]);
    expect(healthSummaryOf([job("test-a-1", "TESTFAILED", { failureClassificationId: 4 })]).result).toBe("PASS");
    // Only unclassified (1) and new failure (6) need investigation: autoclassified (7) does not.
    expect(healthSummaryOf([job("test-a-1", "TESTFAILED", { failureClassificationId: 7 })]).needInvestigation).toBe(0);
    // A fail anywhere wins over a job still running elsewhere; running beats pass.
    expect(healthSummaryOf([job("test-a-1", "UNKNOWN"), job("lint", "TESTFAILED", { typeSymbol: "mozlint" })]).result).toBe("FAIL");
    expect(healthSummaryOf([job("test-a-1", "SUCCESS"), job("build-a", "UNKNOWN")]).result).toBe("UNKNOWN");
  });

  it("categories: lint by platform or symbol, build by name in any case, else test; each with its failure result", () => {
    expect(healthCategory(job("anything", "SUCCESS", { platform: "lint" }))).toBe("lint");
    expect(healthCategory(job("build-like name", "SUCCESS", { typeSymbol: "mozlint" }))).toBe("lint");
    expect(healthCategory(job("Gecko-BUILD", "SUCCESS"))).toBe("build");
    expect(healthCategory(job("test-linux", "SUCCESS", { platform: "Lint" }))).toBe("test"); // exact, as the binary collation
    // A testfailed build and a busted test are no failures of their category (but a busted test is not to investigate either).
    expect(healthSummaryOf([job("build-a", "TESTFAILED")]).metrics.build).toEqual({ result: "PASS", jobs: 1, failures: 0, needInvestigation: 0, inProgress: 0 });
    expect(healthSummaryOf([job("test-a", "BUSTED")]).result).toBe("PASS");
    expect(healthSummaryOf([job("lint-a", "TESTFAILED", { platform: "lint", failureClassificationId: 4 })]).needInvestigation).toBe(1);
  });
});
