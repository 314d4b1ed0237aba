// What a job looks like in the grid, and how Treeherder users read it: colours by state and
// result, the words that say the same thing for people who cannot rely on colour, and the filters.
import type { JobResult, JobState } from "../generated/graphql";

/** A job as the grid holds it: small, flat, and shared between renders (never mutated). */
export interface Job {
  id: number;
  pushId: number;
  state: JobState;
  result: JobResult;
  tier: number;
  failureClassificationId: number;
  typeName: string;
  typeSymbol: string;
  groupName: string;
  groupSymbol: string;
  platform: string;
  /** The option labels joined, e.g. "debug" or "asan opt". */
  options: string;
  /** Epoch milliseconds. */
  lastModified: number;
}

export const FAILURE_RESULTS: ReadonlySet<JobResult> = new Set(["TESTFAILED", "BUSTED", "EXCEPTION"]);
/** FailureClassification ids that still need a sheriff (apps/jobs/models/reference.py UNCLASSIFIED_IDS). */
export const UNCLASSIFIED_IDS: ReadonlySet<number> = new Set([1, 6, 7, 8]);

export const STATE_RANK: Record<JobState, number> = { UNSCHEDULED: 0, PENDING: 1, RUNNING: 2, COMPLETED: 3 };

export const isFailure = (job: Job): boolean => job.state === "COMPLETED" && FAILURE_RESULTS.has(job.result);
export const isUnclassifiedFailure = (job: Job): boolean =>
  isFailure(job) && UNCLASSIFIED_IDS.has(job.failureClassificationId);

/** The key of a job's colour: its result once completed, its state before. */
export function jobStatus(job: Pick<Job, "state" | "result">): string {
  if (job.state !== "COMPLETED") return job.state.toLowerCase();
  return job.result.toLowerCase();
}

/** Treeherder's colours and what each means, in the legend's order. */
export const LEGEND: ReadonlyArray<{ status: string; label: string }> = [
  { status: "success", label: "Success" },
  { status: "testfailed", label: "Tests failed" },
  { status: "busted", label: "Busted" },
  { status: "exception", label: "Exception" },
  { status: "retry", label: "Retried" },
  { status: "usercancel", label: "Cancelled" },
  { status: "superseded", label: "Superseded" },
  { status: "running", label: "Running" },
  { status: "pending", label: "Pending" },
  { status: "unscheduled", label: "Unscheduled" },
];
const LABELS = new Map(LEGEND.map((entry) => [entry.status, entry.label]));
export const statusLabel = (status: string): string => LABELS.get(status) ?? status;

export interface Filters {
  /** Tiers shown; tier 3 is hidden unless asked for. */
  tiers: ReadonlySet<number>;
  failuresOnly: boolean;
  unclassifiedOnly: boolean;
  search: string;
}

export const DEFAULT_TIERS: ReadonlySet<number> = new Set([1, 2]);

export function jobMatcher(filters: Filters): (job: Job) => boolean {
  const needle = filters.search.trim().toLowerCase();
  return (job) => {
    if (!filters.tiers.has(job.tier)) return false;
    if (filters.unclassifiedOnly && !isUnclassifiedFailure(job)) return false;
    if (filters.failuresOnly && !isFailure(job)) return false;
    if (needle) {
      const hay = `${job.typeName}\n${job.typeSymbol}\n${job.groupSymbol}\n${job.groupName}\n${job.platform}`.toLowerCase();
      if (!hay.includes(needle)) return false;
    }
    return true;
  };
}

export interface GroupRow {
  /** "" for jobs outside any group. */
  symbol: string;
  name: string;
  jobs: Job[];
}

export interface PlatformRow {
  key: string;
  platform: string;
  options: string;
  groups: GroupRow[];
}

// One collator for every comparison: String.localeCompare with options builds one per call, which
// at 20,000 jobs is a measurable part of the first render.
const collator = new Intl.Collator("en", { numeric: true });
const bySymbol = (a: Job, b: Job): number => collator.compare(a.typeSymbol, b.typeSymbol) || a.id - b.id;

/**
 * The push's grid: one row per platform and options, inside it ungrouped jobs first, then one
 * bracket per group symbol, as Treeherder lays it out.
 */
export function groupJobs(jobs: Iterable<Job>, matches: (job: Job) => boolean): PlatformRow[] {
  const rows = new Map<string, { platform: string; options: string; groups: Map<string, GroupRow> }>();
  for (const job of jobs) {
    if (!matches(job)) continue;
    const key = `${job.platform} ${job.options}`;
    let row = rows.get(key);
    if (!row) {
      row = { platform: job.platform, options: job.options, groups: new Map() };
      rows.set(key, row);
    }
    const groupKey = job.groupSymbol === "?" ? "" : job.groupSymbol;
    let group = row.groups.get(groupKey);
    if (!group) {
      group = { symbol: groupKey, name: job.groupName, jobs: [] };
      row.groups.set(groupKey, group);
    }
    group.jobs.push(job);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, row]) => ({
      key,
      platform: row.platform,
      options: row.options,
      groups: [...row.groups.values()]
        .sort((a, b) => (a.symbol === "" ? -1 : b.symbol === "" ? 1 : a.symbol.localeCompare(b.symbol)))
        .map((group) => ({ ...group, jobs: group.jobs.sort(bySymbol) })),
    }));
}
