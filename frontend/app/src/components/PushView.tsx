import { memo, useMemo } from "react";
import { groupJobs, type Job } from "../model/jobs";
import type { PushEntry } from "../store/jobStore";
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
}

/** A push: its header (revision, author, time, counts, commits) and its grid of job buttons. */
export const PushView = memo(
  function PushView({ entry, repo, matches, selectedJob, deferred }: PushViewProps) {
    const { push } = entry;
    const rows = useMemo(
      () => (deferred ? [] : groupJobs(entry.jobs.values(), matches)),
      // eslint-disable-next-line react-hooks/exhaustive-deps -- entry.version is the jobs' change key
      [entry.jobs, entry.version, matches, deferred],
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
            <Component key={key} repo={repo} revision={push.revision} pushId={push.id} />
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
            <div className="platform-row" key={row.key}>
              <span className="platform">
                {row.platform} <span className="options">{row.options}</span>
              </span>
              <span className="jobs">
                {row.groups.map((group) =>
                  group.symbol === "" ? (
                    group.jobs.map((job) => <JobButton key={job.id} job={job} selected={job.id === selectedJob} />)
                  ) : (
                    <span className="group" key={group.symbol} title={group.name}>
                      <span className="group-symbol">{group.symbol}(</span>
                      {group.jobs.map((job) => (
                        <JobButton key={job.id} job={job} selected={job.id === selectedJob} />
                      ))}
                      <span className="group-symbol">)</span>
                    </span>
                  ),
                )}
              </span>
            </div>
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
    a.repo === b.repo &&
    // A push re-renders for a selection only if it holds the old or the new selected job.
    (a.selectedJob === b.selectedJob ||
      !(
        (a.selectedJob !== null && a.entry.jobs.has(a.selectedJob)) ||
        (b.selectedJob !== null && b.entry.jobs.has(b.selectedJob))
      )),
);
