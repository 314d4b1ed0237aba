import { memo, useMemo } from "react";
import { groupJobs, type Job, type PlatformRow } from "../model/jobs";
import type { PushEntry, StoredJob } from "../store/jobStore";
import type { PushStatus } from "../store/convert";
import { JobButton } from "./JobButton";
import { pushActions } from "./slots";

const COUNTS: ReadonlyArray<[keyof PushStatus, string]> = [
  ["success", "success"],
  ["testfailed", "failed"],
  ["busted", "busted"],
  ["exception", "exception"],
  ["retry", "retry"],
  ["usercancel", "cancelled"],
  ["running", "running"],
  ["pending", "pending"],
];

function StatusCounts({ status }: { status: PushStatus }) {
  const shown = COUNTS.filter(([key]) => (status[key] ?? 0) > 0);
  return (
    <ul className="counts" aria-label="Job counts">
      {shown.map(([key, label]) => (
        <li key={key} className={`count st-${key}`} data-count={key}>
          {status[key]} {label}
        </li>
      ))}
      {shown.length === 0 && <li className="count">no jobs yet</li>}
    </ul>
  );
}

const timeFormat = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZone: "UTC",
  timeZoneName: "short",
});

export interface PushViewProps {
  entry: PushEntry;
  version: number;
  repo: string;
  matches: (job: Job) => boolean;
  selectedJob: number | null;
  /** Not yet: the grid is a placeholder of about its height until the view mounts it. */
  deferred: boolean;
  /** The filters look at results (failures / unclassified only): the layout follows every change. */
  statusFilters: boolean;
}

/**
 * One platform row. Memoized on `stamp` (the sum of its jobs' change sequence numbers, which grows
 * whenever one of them changes) so that an event re-renders one row, not a push of 5,000 jobs.
 */
const RowView = memo(
  function RowView({ row, jobs, selectedJob }: { row: PlatformRow; jobs: ReadonlyMap<number, StoredJob>; stamp: number; selectedJob: number | null }) {
    const button = (held: Job) => {
      const job = jobs.get(held.id) ?? held;
      return <JobButton key={job.id} job={job} selected={job.id === selectedJob} />;
    };
    return (
      <div className="platform-row">
        <span className="platform">
          {row.platform} <span className="options">{row.options}</span>
        </span>
        <span className="jobs">
          {row.groups.map((group) =>
            group.symbol === "" ? (
              group.jobs.map(button)
            ) : (
              <span className="group" key={group.symbol} title={group.name}>
                <span className="group-symbol">{group.symbol}(</span>
                {group.jobs.map(button)}
                <span className="group-symbol">)</span>
              </span>
            ),
          )}
        </span>
      </div>
    );
  },
  (a, b) => a.row === b.row && a.stamp === b.stamp && a.selectedJob === b.selectedJob,
);

function rowStamp(row: PlatformRow, jobs: ReadonlyMap<number, StoredJob>): number {
  let stamp = 0;
  for (const group of row.groups) for (const job of group.jobs) stamp += jobs.get(job.id)?.seq ?? 0;
  return stamp;
}

function rowSelection(row: PlatformRow, selectedJob: number | null): number | null {
  if (selectedJob === null) return null;
  return row.groups.some((group) => group.jobs.some((job) => job.id === selectedJob)) ? selectedJob : null;
}

/** A push: its header (revision, author, time, counts, commits) and its grid of job buttons. */
export const PushView = memo(
  function PushView({ entry, repo, matches, selectedJob, deferred, statusFilters }: PushViewProps) {
    const { push } = entry;
    // The layout (which job goes where) changes only with the push's structure, unless the filters
    // look at results; a job's colour change keeps its place and re-renders its row only.
    const layoutKey = statusFilters ? entry.version : entry.structure;
    const rows = useMemo(
      () => (deferred ? [] : groupJobs(entry.jobs.values(), matches)),
      // eslint-disable-next-line react-hooks/exhaustive-deps -- layoutKey is the jobs' change key
      [entry.jobs, layoutKey, matches, deferred],
    );
    const author = push.author.replace(/<.*>/, "").trim() || push.author;
    return (
      <section className="push" data-push-id={push.id} aria-labelledby={`push-${push.id}`}>
        <header className="push-head">
          <h2 id={`push-${push.id}`}>
            <a href={`/jobs?repo=${encodeURIComponent(repo)}&revision=${push.revision}`} className="revision">
              {push.revision.slice(0, 12)}
            </a>
            <span className="author"> {author}</span>
            <time dateTime={new Date(push.time).toISOString()}> {timeFormat.format(push.time)}</time>
          </h2>
          <StatusCounts status={push.status} />
          {pushActions.map(({ key, Component }) => (
            <Component key={key} repo={repo} push={push} jobs={entry.jobs} version={entry.version} />
          ))}
        </header>
        <ol className="commits" aria-label="Commits">
          {push.commits
            .slice(-10)
            .reverse()
            .map((commit) => (
              <li key={commit.revision}>
                <code>{commit.revision.slice(0, 12)}</code> {commit.comments.split("\n", 1)[0]}
              </li>
            ))}
          {push.commitCount > 10 && <li className="more">and {push.commitCount - 10} more</li>}
        </ol>
        {deferred && (
          <div className="grid-placeholder" style={{ height: `${Math.ceil(entry.jobs.size / 45) * 23}px` }} />
        )}
        <div className="grid" hidden={deferred}>
          {rows.map((row) => (
            <RowView
              key={row.key}
              row={row}
              jobs={entry.jobs}
              stamp={rowStamp(row, entry.jobs)}
              selectedJob={rowSelection(row, selectedJob)}
            />
          ))}
          {rows.length === 0 && !deferred && <p className="empty">No jobs match the filters.</p>}
        </div>
      </section>
    );
  },
  (a, b) =>
    a.entry.push === b.entry.push &&
    a.version === b.version &&
    a.matches === b.matches &&
    a.deferred === b.deferred &&
    a.statusFilters === b.statusFilters &&
    a.repo === b.repo &&
    // A push re-renders for a selection only if it holds the old or the new selected job.
    (a.selectedJob === b.selectedJob ||
      !(
        (a.selectedJob !== null && a.entry.jobs.has(a.selectedJob)) ||
        (b.selectedJob !== null && b.entry.jobs.has(b.selectedJob))
      )),
);
