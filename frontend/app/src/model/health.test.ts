import { describe, expect, it } from "vitest";
import { pushHealth } from "../test/fixtures";
import { applyHealthEvent, EMPTY_HEALTH, groupFailures, healthBadgeText, loadHealth } from "./health";

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
});
