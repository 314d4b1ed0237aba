// Push Health in the job view (a pushActions entry): a badge in each push's header with the
// verdict computed from the push's jobs as the grid holds them (model/health.ts healthSummaryOf:
// the server's rules; live with every jobChanged the store applies, free on the first load), and,
// when the badge is pressed, the push's Push Health panel: the verdict per category and the failed jobs
// by classification, from pushHealth(repository, revision), then live from pushHealthChanged.
import { useEffect, useMemo, useState } from "react";
import { query } from "../api/http";
import { useLiveSource, type LiveSource } from "../api/liveContext";
import { LIVE_CURSOR, PUSH_HEALTH, PUSH_HEALTH_CHANGED } from "../api/operations";
import type {
  LiveCursorQuery,
  PushHealthChangedSubscription,
  PushHealthQuery,
  PushHealthQueryVariables,
} from "../generated/graphql";
import {
  applyHealthEvent,
  EMPTY_HEALTH,
  groupFailures,
  healthBadgeText,
  healthSummaryOf,
  loadHealth,
  RESULT_LABEL,
  type HealthState,
} from "../model/health";
import { useViewParams } from "../url";
import type { PushActionProps } from "./slots";

export function PushHealthAction({ repo, push, jobs, version }: PushActionProps) {
  const [params, update] = useViewParams();
  const open = params.pushHealth === push.revision;
  const panelId = `push-health-${push.id}`;
  // The jobs map is updated in place; `version` moves with every change of it (the memo key).
  // eslint-disable-next-line react-hooks/exhaustive-deps -- version is the jobs' change key
  const health = useMemo(() => healthSummaryOf(jobs.values()), [jobs, version]);
  const text = healthBadgeText(health);
  return (
    <>
      <button
        type="button"
        className={`health-badge health-${health.result.toLowerCase()}`}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        title={`Push Health: ${text.replace("Health: ", "")}. ${open ? "Hide" : "Show"} the details.`}
        data-health={health.result}
        data-need-investigation={health.needInvestigation}
        onClick={() => update({ pushHealth: open ? null : push.revision })}
      >
        {text}
      </button>
      {open && (
        <PushHealthPanel
          id={panelId}
          repo={repo}
          revision={push.revision}
          onClose={() => update({ pushHealth: null })}
          onSelectJob={(jobId) => update({ selectedJob: jobId })}
        />
      )}
    </>
  );
}

/** liveCursor, then the query, then pushHealthChanged after that cursor: nothing falls between. */
export function usePushHealth(repo: string, revision: string, live: LiveSource | null): HealthState & { error: string | null } {
  const [state, setState] = useState<HealthState>(EMPTY_HEALTH);
  const [error, setError] = useState<string | null>(null);
  // Bumped to load again from a new cursor (the server no longer keeps the one subscribed after).
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let active = true;
    let unsubscribe: () => void = () => undefined;
    setState(EMPTY_HEALTH);
    setError(null);
    void (async () => {
      try {
        const { liveCursor } = await query<LiveCursorQuery>(LIVE_CURSOR);
        const data = await query<PushHealthQuery, PushHealthQueryVariables>(PUSH_HEALTH, { repository: repo, revision });
        if (!active) return;
        setState(loadHealth(liveCursor, data.pushHealth));
        if (!data.pushHealth || !live) return;
        unsubscribe = live.watch<PushHealthChangedSubscription>({
          document: PUSH_HEALTH_CHANGED,
          variables: { repository: repo, revision, after: liveCursor },
          next: ({ pushHealthChanged }) => {
            setState((current) => applyHealthEvent(current, pushHealthChanged.cursor, pushHealthChanged.pushHealth));
            return pushHealthChanged.cursor;
          },
          error: (errors) => {
            if (errors.some((e) => e.extensions?.["code"] === "CURSOR_EXPIRED")) setGeneration((n) => n + 1);
            else setError(errors.map((e) => e.message).join("; "));
          },
        });
      } catch (failure) {
        if (active) setError(failure instanceof Error ? failure.message : String(failure));
      }
    })();
    return () => {
      active = false;
      unsubscribe();
    };
  }, [repo, revision, live, generation]);
  return { ...state, error };
}

const METRICS = [
  ["tests", "Tests"],
  ["builds", "Builds"],
  ["linting", "Linting"],
] as const;

export function PushHealthPanel({
  id,
  repo,
  revision,
  onClose,
  onSelectJob,
}: {
  id: string;
  repo: string;
  revision: string;
  onClose: () => void;
  onSelectJob: (jobId: number) => void;
}) {
  const live = useLiveSource();
  const { health, error, updates, cursor } = usePushHealth(repo, revision, live);
  const headingId = `${id}-title`;
  return (
    <section className="push-health" id={id} aria-labelledby={headingId} data-testid="push-health" data-updates={updates}>
      <div className="push-health-head">
        <h3 id={headingId}>
          Push Health{" "}
          {health && (
            <span className={`health-badge static health-${health.summary.result.toLowerCase()}`} data-health={health.summary.result}>
              {healthBadgeText(health.summary)}
            </span>
          )}
        </h3>
        <button type="button" className="close" onClick={onClose} aria-label="Close Push Health">
          ✕
        </button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {!health && !error && <p className="none">{cursor === null ? "Loading…" : "No such push."}</p>}
      {health && (
        <div className="push-health-body">
          <table className="health-metrics">
            <caption className="visually-hidden">Verdict per category</caption>
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col">Result</th>
                <th scope="col">Jobs</th>
                <th scope="col">Failed</th>
                <th scope="col">To investigate</th>
                <th scope="col">Running</th>
              </tr>
            </thead>
            <tbody>
              {METRICS.map(([key, label]) => {
                const metric = health.summary[key];
                return (
                  <tr key={key} data-metric={key}>
                    <th scope="row">{label}</th>
                    <td>
                      <span className={`health-dot health-${metric.result.toLowerCase()}`} aria-hidden="true" /> {RESULT_LABEL[metric.result]}
                    </td>
                    <td>{metric.jobs}</td>
                    <td>{metric.failures}</td>
                    <td>{metric.needInvestigation}</td>
                    <td>{metric.inProgress}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className="health-failures">
            {health.failures.length === 0 ? (
              <p className="none">No failures.</p>
            ) : (
              groupFailures(health.failures).map((group) => (
                <div key={group.classification} data-classification={group.classification}>
                  <h4>
                    {group.label} ({group.failures.length})
                  </h4>
                  <ul>
                    {group.failures.map((failure, index) => (
                      <li key={failure.job?.databaseId ?? index}>
                        <span className="category">{failure.category}</span>{" "}
                        {failure.job ? (
                          <button type="button" className="link" onClick={() => failure.job && onSelectJob(failure.job.databaseId)}>
                            {failure.job.jobType.name}
                          </button>
                        ) : (
                          "a job no longer there"
                        )}{" "}
                        {failure.job && (
                          <span className="muted">
                            {failure.job.platform.platform} {failure.job.options.join(" ")} · {failure.job.failureClassification.name}
                          </span>
                        )}
                        {failure.failedTests.length > 0 && (
                          <ul className="failed-tests">
                            {failure.failedTests.slice(0, 5).map((test) => (
                              <li key={test}>
                                <code>{test}</code>
                              </li>
                            ))}
                            {failure.failedTests.length > 5 && <li>and {failure.failedTests.length - 5} more</li>}
                          </ul>
                        )}
                      </li>
                    ))}
                  </ul>
                </div>
              ))
            )}
          </div>
        </div>
      )}
    </section>
  );
}
