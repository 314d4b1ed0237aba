import { useCallback, useEffect, useMemo, useState } from "react";
import { query } from "../api/http";
import { JOB_DETAILS } from "../api/operations";
import type { JobDetailsQuery, JobDetailsQueryVariables } from "../generated/graphql";
import { jobStatus, statusLabel } from "../model/jobs";
import { useIdentity } from "../identity";
import { jobPanelSections, type JobDetails, type PanelContext, type PickedBug } from "./slots";

const when = (iso: string | null): string => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—");

export function taskUrl(job: JobDetails): string | null {
  return job.taskId ? `${job.repository.tcRootUrl.replace(/\/$/, "")}/tasks/${job.taskId}` : null;
}

export function rawLogUrl(job: JobDetails): string | null {
  return (job.logs.find((log) => log.name === "live_backing_log") ?? job.logs[0])?.url ?? null;
}

/**
 * Loads a job's details; again whenever `changeKey` moves (the job's change sequence number in the
 * grid: every jobChanged event for it, a bug link too, which leaves lastModified as it was).
 * `replace` shows a version of the job the page already has (a mutation's answer).
 */
export function useJobDetails(id: number | null, changeKey: number | undefined) {
  const [state, setState] = useState<{ id: number | null; job: JobDetails | null; error: string | null }>({
    id: null,
    job: null,
    error: null,
  });
  useEffect(() => {
    if (id === null) return;
    const abort = new AbortController();
    query<JobDetailsQuery, JobDetailsQueryVariables>(JOB_DETAILS, { id: String(id) }, abort.signal).then(
      (data) => setState({ id, job: data.job, error: data.job ? null : "No such job." }),
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ id, job: null, error: String(error) });
      },
    );
    return () => abort.abort();
  }, [id, changeKey]);
  const replace = useCallback((job: JobDetails) => {
    if (job.databaseId === id) setState({ id, job, error: null });
  }, [id]);
  return { ...(state.id === id ? state : { id, job: null, error: null }), replace };
}

/** A linked bug's summary and status; a bug the mirror has not fetched yet is a stub with neither. */
export function bugLinkText(bug: { summary: string; status: string; resolution: string }): string {
  if (!bug.summary && !bug.status) return "(not fetched from Bugzilla yet)";
  const status = [bug.status, bug.resolution].filter(Boolean).join(" ").toLowerCase();
  return status ? `${bug.summary} (${status})` : bug.summary;
}

type Suggestions = JobDetails["textLogErrors"][number]["bugSuggestions"];

/** Bugs whose summaries match an error line: open ones first, at most five (Treeherder's list). */
function BugSuggestionList({
  suggestions,
  bugzillaUrl,
  onPick,
}: {
  suggestions: Suggestions;
  bugzillaUrl: string;
  /** Signed in: each bug gets a button that fills its number into the classify form. */
  onPick: ((bugzillaId: number) => void) | null;
}) {
  const bugs = [
    ...suggestions.openRecent.map((bug) => ({ ...bug, open: true })),
    ...suggestions.allOthers.map((bug) => ({ ...bug, open: false })),
  ].slice(0, 5);
  if (bugs.length === 0) return null;
  return (
    <ul className="suggestions" aria-label="Bug suggestions">
      {bugs.map((bug) => (
        <li key={`${bug.bugzillaId ?? bug.summary}`}>
          {onPick && bug.bugzillaId !== null && (
            <button
              type="button"
              className="pick"
              onClick={() => bug.bugzillaId !== null && onPick(bug.bugzillaId)}
              aria-label={`Use bug ${bug.bugzillaId} in the classify form`}
              title={`Use bug ${bug.bugzillaId} in the classify form`}
            >
              Use
            </button>
          )}{" "}
          {bug.bugzillaId !== null ? (
            <a href={`${bugzillaUrl}/show_bug.cgi?id=${bug.bugzillaId}`} target="_blank" rel="noreferrer">
              Bug {bug.bugzillaId}
            </a>
          ) : (
            "Internal issue"
          )}{" "}
          {bug.summary}
          {bug.open ? "" : " (resolved)"}
        </li>
      ))}
    </ul>
  );
}

function Row({ name, children }: { name: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function DetailsPanel({
  job,
  error,
  onClose,
  onShowJob,
  bugzillaUrl,
}: {
  job: JobDetails | null;
  error: string | null;
  onClose: () => void;
  onShowJob: (job: JobDetails) => void;
  bugzillaUrl: string;
}) {
  const identity = useIdentity();
  const signedIn = identity.status === "ready" && identity.me !== null;
  // A bug picked from the suggestions, for the form: only for the job it was picked on (the form
  // of another job never sees it).
  const [picked, setPicked] = useState<(PickedBug & { jobId: number }) | null>(null);
  const jobId = job?.databaseId ?? null;
  const onPick = useCallback(
    (bugzillaId: number) => {
      if (jobId !== null) setPicked((last) => ({ bugzillaId, jobId, seq: (last?.seq ?? 0) + 1 }));
    },
    [jobId],
  );
  const pickedHere = picked !== null && picked.jobId === jobId ? picked : null;
  const panel: PanelContext = useMemo(() => ({ picked: pickedHere, showJob: onShowJob }), [pickedHere, onShowJob]);
  const status = job ? jobStatus(job) : "";
  const task = job ? taskUrl(job) : null;
  return (
    <aside className="details" aria-label="Job details" data-testid="details">
      <div className="details-head">
        {job ? (
          <h2>
            <span className={`badge st-${status}`}>{statusLabel(status)}</span> {job.jobType.name}
          </h2>
        ) : (
          <h2>{error ?? "Loading…"}</h2>
        )}
        <button type="button" className="close" onClick={onClose} aria-label="Close the details panel (Esc)">
          ✕
        </button>
      </div>
      {job && (
        <div className="details-body">
          <section>
            <h3>Job</h3>
            <dl>
              <Row name="State">{job.state.toLowerCase()}</Row>
              <Row name="Result">{job.result.toLowerCase()}</Row>
              <Row name="Symbol">
                {job.jobGroup.symbol !== "?" ? `${job.jobGroup.symbol}(${job.jobType.symbol})` : job.jobType.symbol}
                {job.jobGroup.name ? ` — ${job.jobGroup.name}` : ""}
              </Row>
              <Row name="Platform">
                {job.platform.platform} {job.options.join(" ")} (build {job.buildPlatform.platform})
              </Row>
              <Row name="Tier">{job.tier}</Row>
              <Row name="Classification">{job.failureClassification.name}</Row>
              <Row name="Submitted">{when(job.submitTime)}</Row>
              <Row name="Started">{when(job.startTime)}</Row>
              <Row name="Ended">{when(job.endTime)}</Row>
              <Row name="Duration">{job.duration} min</Row>
              <Row name="Machine">{job.machine.name || "—"}</Row>
              <Row name="Task">
                {task ? (
                  <a href={task} target="_blank" rel="noreferrer" data-field="task">
                    {job.taskId}
                    {job.retryId !== null ? ` run ${job.retryId}` : ""}
                  </a>
                ) : (
                  "—"
                )}
              </Row>
              <Row name="Who">{job.who}</Row>
              <Row name="Reason">{job.reason}</Row>
            </dl>
          </section>
          <section>
            <h3>Logs</h3>
            {job.logs.length === 0 ? (
              <p className="none">No logs.</p>
            ) : (
              <ul className="logs">
                {job.logs.map((log) => (
                  <li key={log.url}>
                    <a href={log.url} target="_blank" rel="noreferrer">
                      {log.name}
                    </a>{" "}
                    <span className={`parse parse-${log.parseStatus.toLowerCase()}`}>
                      {log.parseStatus.toLowerCase().replace("_", " ")}
                    </span>
                  </li>
                ))}
              </ul>
            )}
            <h3>Error lines</h3>
            {job.textLogErrors.length === 0 ? (
              <p className="none">No error lines.</p>
            ) : (
              <ol className="errors">
                {job.textLogErrors.map((error) => (
                  <li key={error.databaseId}>
                    <span className="line-no">{error.lineNumber}</span> {error.newFailure && <strong className="new">NEW</strong>}{" "}
                    <code>{error.line}</code>
                    <BugSuggestionList suggestions={error.bugSuggestions} bugzillaUrl={bugzillaUrl} onPick={signedIn ? onPick : null} />
                  </li>
                ))}
              </ol>
            )}
            <h3>Failure lines</h3>
            {job.failureLines.length === 0 ? (
              <p className="none">No failure lines.</p>
            ) : (
              <ol className="failure-lines">
                {job.failureLines.map((line) => (
                  <li key={line.databaseId}>
                    <code>
                      {line.action === "test_result"
                        ? `${line.test}${line.subtest ? ` | ${line.subtest}` : ""} | ${line.status} (expected ${line.expected})${line.message ? ` — ${line.message}` : ""}`
                        : line.signature || line.message || line.action}
                    </code>
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section>
            {jobPanelSections.map(({ key, title, Component }) => (
              <div key={`${key}-${job.databaseId}`} className={`panel-section section-${key}`}>
                <h3>{title}</h3>
                <Component job={job} panel={panel} />
              </div>
            ))}
            <h3>Classifications</h3>
            {job.notes.length === 0 ? (
              <p className="none">Not classified.</p>
            ) : (
              <ul className="notes">
                {job.notes.map((note) => (
                  <li key={note.databaseId}>
                    {when(note.created)} {note.who}: <strong>{note.failureClassification.name}</strong>
                    {note.text ? ` — ${note.text}` : ""}
                  </li>
                ))}
              </ul>
            )}
            <h3>Bugs</h3>
            {job.bugLinks.length === 0 ? (
              <p className="none">No bugs linked.</p>
            ) : (
              <ul className="bugs">
                {job.bugLinks.map((link) => (
                  <li key={link.databaseId}>
                    {link.bug.bugzillaId !== null ? (
                      <a href={`${bugzillaUrl}/show_bug.cgi?id=${link.bug.bugzillaId}`} target="_blank" rel="noreferrer">
                        Bug {link.bug.bugzillaId}
                      </a>
                    ) : (
                      "Internal issue"
                    )}{" "}
                    {bugLinkText(link.bug)} — {link.who}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </aside>
  );
}
