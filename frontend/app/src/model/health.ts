// Push Health as the page shows it: the words for each verdict (colour is never the only signal),
// the failures grouped by what their classification says, and the live feed's rule (an event at or
// below the last cursor applied is a duplicate; every event carries the whole health, so the
// newest one wins).
import type { HealthClassification, HealthResult, JobResult, PushHealthFieldsFragment } from "../generated/graphql";
import type { Job } from "./jobs";

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
export function healthBadgeText(summary: HealthBrief): string {
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

// --- The badge, computed in the page from the jobs it holds ---
//
// Why here and not Push.healthSummary: that field is one aggregate query over the pushes' jobs
// (179 ms p50 for 10 pushes x 2,000 jobs, bench/README.md), which sat on the first load's path and
// ran again for every pushChanged event. The page already holds every job of its pushes (all
// tiers, kept current by jobChanged), so it applies the server's rules to them instead: the same
// rules as apps/failures/health.py (keep the two together; tests/browser/test_job_view.py checks
// that the badge equals the server's healthSummary for every push, on factory and on replayed
// sample data). The panel still asks the server (pushHealth), which has the failed tests too.

export type HealthCategory = "test" | "build" | "lint";
export type HealthJob = Pick<Job, "tier" | "result" | "failureClassificationId" | "typeName" | "typeSymbol" | "platform">;

export interface HealthMetricCount {
  jobs: number;
  failures: number;
  needInvestigation: number;
  inProgress: number;
}

export interface HealthBrief {
  result: HealthResult;
  needInvestigation: number;
}

export interface HealthCounts extends HealthBrief {
  metrics: Record<HealthCategory, HealthMetricCount & { result: HealthResult }>;
}

/** lint (platform "lint" or symbol "mozlint"), build (job type name containing "build", any case), else test. */
export function healthCategory(job: HealthJob): HealthCategory {
  if (job.platform === "lint" || job.typeSymbol === "mozlint") return "lint";
  if (job.typeName.toLowerCase().includes("build")) return "build";
  return "test";
}

/** The result that is a failure in each category (a testfailed build is not one, as Treeherder). */
const FAILURE_RESULT: Record<HealthCategory, JobResult> = { lint: "TESTFAILED", build: "BUSTED", test: "TESTFAILED" };
/** Test failures still needing someone: not classified (1) or new failure (6) (NEEDS_INVESTIGATION_IDS). */
const NEEDS_INVESTIGATION_IDS: ReadonlySet<number> = new Set([1, 6]);

function metricResult(metric: HealthMetricCount): HealthResult {
  if (metric.jobs === 0) return "NONE";
  if (metric.needInvestigation > 0) return "FAIL";
  return metric.inProgress > 0 ? "UNKNOWN" : "PASS";
}

/** A push's Push Health summary from its jobs (tiers 1-2), as Push.healthSummary computes it. */
export function healthSummaryOf(jobs: Iterable<HealthJob>): HealthCounts {
  const counts: Record<HealthCategory, HealthMetricCount> = {
    test: { jobs: 0, failures: 0, needInvestigation: 0, inProgress: 0 },
    build: { jobs: 0, failures: 0, needInvestigation: 0, inProgress: 0 },
    lint: { jobs: 0, failures: 0, needInvestigation: 0, inProgress: 0 },
  };
  for (const job of jobs) {
    if (job.tier > 2) continue;
    const category = healthCategory(job);
    const metric = counts[category];
    metric.jobs += 1;
    if (job.result === "UNKNOWN") {
      metric.inProgress += 1;
    } else if (job.result === FAILURE_RESULT[category]) {
      metric.failures += 1;
      // Build and lint failures always count, classified or not (as Treeherder).
      if (category !== "test" || NEEDS_INVESTIGATION_IDS.has(job.failureClassificationId)) metric.needInvestigation += 1;
    }
  }
  const metrics = {
    test: { ...counts.test, result: metricResult(counts.test) },
    build: { ...counts.build, result: metricResult(counts.build) },
    lint: { ...counts.lint, result: metricResult(counts.lint) },
  };
  // The push's verdict folds tests, linting, builds in that order, as the server (and Treeherder):
  // indeterminate or fail replace anything, unknown anything but fail; none changes nothing.
  let result: HealthResult = "PASS";
  for (const category of ["test", "lint", "build"] as const) {
    const next = metrics[category].result;
    if (next === "INDETERMINATE" || next === "FAIL" || (next === "UNKNOWN" && result !== "FAIL")) result = next;
  }
  return {
    result,
    needInvestigation: metrics.test.needInvestigation + metrics.build.failures + metrics.lint.failures,
    metrics,
  };
}
