// Push Health as the page shows it: the words for each verdict (colour is never the only signal),
// the failures grouped by what their classification says, and the live feed's rule (an event at or
// below the last cursor applied is a duplicate; every event carries the whole health, so the
// newest one wins).
import type { HealthClassification, HealthResult, PushHealthFieldsFragment } from "../generated/graphql";

export type PushHealthData = PushHealthFieldsFragment;
export type HealthFailure = PushHealthData["failures"][number];

export const RESULT_LABEL: Record<HealthResult, string> = {
  PASS: "pass",
  FAIL: "fail",
  UNKNOWN: "in progress",
  NONE: "no jobs",
  INDETERMINATE: "indeterminate",
};

export const CLASSIFICATION_LABEL: Record<HealthClassification, string> = {
  NEEDS_INVESTIGATION: "Need investigation",
  KNOWN_INTERMITTENT: "Known intermittent",
  FIXED_BY_COMMIT: "Fixed by commit",
  OTHER: "Other (classified)",
};

const CLASSIFICATION_ORDER: HealthClassification[] = ["NEEDS_INVESTIGATION", "KNOWN_INTERMITTENT", "FIXED_BY_COMMIT", "OTHER"];

/** The badge's text: the verdict, and how many failures still need someone. */
export function healthBadgeText(summary: { result: HealthResult; needInvestigation: number }): string {
  const verdict = `Health: ${RESULT_LABEL[summary.result]}`;
  return summary.needInvestigation > 0 ? `${verdict} · ${summary.needInvestigation} to investigate` : verdict;
}

/** Failures by classification, needing investigation first; empty groups left out. */
export function groupFailures(failures: readonly HealthFailure[]): Array<{ classification: HealthClassification; label: string; failures: HealthFailure[] }> {
  return CLASSIFICATION_ORDER.map((classification) => ({
    classification,
    label: CLASSIFICATION_LABEL[classification],
    failures: failures.filter((failure) => failure.classification === classification),
  })).filter((group) => group.failures.length > 0);
}

export interface HealthState {
  cursor: string | null;
  health: PushHealthData | null;
  /** Events applied (tests and the panel's "updated live" note). */
  updates: number;
}

export const EMPTY_HEALTH: HealthState = { cursor: null, health: null, updates: 0 };

/** The query's answer, read after `cursor` (liveCursor): events after it follow. */
export function loadHealth(cursor: string, health: PushHealthData | null): HealthState {
  return { cursor, health, updates: 0 };
}

/** A pushHealthChanged event: applied unless it is at or below the cursor already applied. */
export function applyHealthEvent(state: HealthState, cursor: string, health: PushHealthData): HealthState {
  if (state.cursor !== null && Number(cursor) <= Number(state.cursor)) return state;
  return { cursor, health, updates: state.updates + 1 };
}
