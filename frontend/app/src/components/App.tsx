import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { query } from "../api/http";
import { REPOSITORIES } from "../api/operations";
import type { ConnectionState } from "../api/live";
import type { AppConfig } from "../config";
import { JobViewSession } from "../controller";
import type { RepositoriesQuery } from "../generated/graphql";
import { keyAction, neighbourJob } from "../keyboard";
import { jobMatcher, LEGEND } from "../model/jobs";
import { useViewParams } from "../url";
import { LiveContext } from "../api/liveContext";
import { DetailsPanel, rawLogUrl, useJobDetails } from "./DetailsPanel";
import { PushView } from "./PushView";

const FIRST_SCREEN_PUSHES = 2;

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  resynced: "Resynced",
  failed: "Live updates failed",
};

function useSession(repo: string, revision: string | null): JobViewSession {
  const session = useMemo(() => new JobViewSession(repo, revision), [repo, revision]);
  useEffect(() => {
    void session.start();
    return () => session.dispose();
  }, [session]);
  return session;
}

function useRepositories(): RepositoriesQuery["repositories"] {
  const [repos, setRepos] = useState<RepositoriesQuery["repositories"]>([]);
  useEffect(() => {
    query<RepositoriesQuery>(REPOSITORIES).then(
      (data) => setRepos(data.repositories),
      () => setRepos([]),
    );
  }, []);
  return repos;
}

export function App({ config }: { config: AppConfig }) {
  const [params, update] = useViewParams();
  const session = useSession(params.repo, params.revision);
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const version = useSyncExternalStore(session.store.subscribe, session.store.getSnapshot);
  const repos = useRepositories();
  const listRef = useRef<HTMLElement>(null);

  const tierKey = params.tiers.join(",");
  const matches = useMemo(
    () =>
      jobMatcher({
        tiers: new Set(tierKey.split(",").map(Number)),
        failuresOnly: params.failuresOnly,
        unclassifiedOnly: params.unclassifiedOnly,
        search: params.search,
      }),
    [tierKey, params.failuresOnly, params.unclassifiedOnly, params.search],
  );
  // eslint-disable-next-line react-hooks/exhaustive-deps -- version is the store's change key
  const pushes = useMemo(() => session.store.pushes(), [session, version]);
  const selected = params.selectedJob;
  const selectedJob = selected !== null ? session.store.job(selected) : undefined;
  const details = useJobDetails(selected, selectedJob?.seq);

  // The first screen renders the grids of the first pushes only (at 1920x1080 one push of 2,000
  // jobs fills it); the others are mounted one per task after it is painted, so the page shows
  // in about the time of one push's grid and the rest never blocks input for long.
  const [mounted, setMounted] = useState(FIRST_SCREEN_PUSHES);
  useEffect(() => setMounted(FIRST_SCREEN_PUSHES), [session]);
  const complete = !state.loading && pushes.length > 0 && mounted >= pushes.length;
  useEffect(() => {
    if (state.loading || pushes.length === 0) return;
    if (mounted < pushes.length) {
      const timer = setTimeout(() => setMounted((n) => n + 1), 0);
      return () => clearTimeout(timer);
    }
  }, [mounted, pushes.length, state.loading]);
  // Rendering finished: the benchmark and the tests read these marks.
  useEffect(() => {
    if (!state.loading && pushes.length > 0 && mounted === FIRST_SCREEN_PUSHES) {
      requestAnimationFrame(() => performance.mark("th:first-screen"));
    }
  }, [state.loading, pushes.length, mounted]);
  useEffect(() => {
    if (!complete) return;
    requestAnimationFrame(() => {
      if (performance.getEntriesByName("th:rendered").length === 0) performance.mark("th:rendered");
      document.body.dataset["renderedVersion"] = String(version);
      document.body.dataset["jobs"] = String(session.store.jobCount);
    });
  }, [version, complete, session]);

  const select = useCallback((id: number | null, focus = false) => {
    update({ selectedJob: id });
    if (focus && id !== null) {
      const button = listRef.current?.querySelector<HTMLElement>(`[data-job-id="${id}"]`);
      button?.focus();
      button?.scrollIntoView({ block: "nearest" });
    }
  }, [update]);

  const onListClick = useCallback(
    (event: React.MouseEvent) => {
      const button = (event.target as HTMLElement).closest<HTMLElement>("[data-job-id]");
      if (button) select(Number(button.dataset["jobId"]));
    },
    [select],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = keyAction(event);
      if (!action || !listRef.current) return;
      const current = parseParamsSelected();
      switch (action) {
        case "next":
        case "prev":
        case "nextFailure":
        case "prevFailure": {
          const direction = action === "next" || action === "nextFailure" ? 1 : -1;
          const target = neighbourJob(listRef.current, current, direction, action.endsWith("Failure"));
          if (target) select(Number(target.dataset["jobId"]), true);
          break;
        }
        case "toggleUnclassified":
          update({ unclassifiedOnly: !parseUnclassified() });
          break;
        case "openLog": {
          const url = detailsRef.current ? rawLogUrl(detailsRef.current) : null;
          if (url) window.open(url, "_blank", "noopener");
          break;
        }
        case "close":
          select(null);
          break;
      }
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [select, update]);
  const detailsRef = useRef(details.job);
  detailsRef.current = details.job;

  const tier3 = params.tiers.includes(3);
  return (
    <LiveContext.Provider value={session}>
    <div className={`app${selected !== null ? " with-details" : ""}`}>
      <header className="topbar">
        <h1>Treeherder</h1>
        <label>
          Repository{" "}
          <select value={params.repo} onChange={(e) => update({ repo: e.target.value, revision: null, selectedJob: null })}>
            {(repos.length ? repos : [{ name: params.repo, databaseId: 0, repositoryGroup: { name: "" } }]).map((repo) => (
              <option key={repo.name} value={repo.name}>
                {repo.name}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="filters">
          <legend className="visually-hidden">Filters</legend>
          <label>
            <input type="checkbox" checked={params.failuresOnly} onChange={(e) => update({ failuresOnly: e.target.checked })} />{" "}
            Failures only
          </label>
          <label>
            <input
              type="checkbox"
              checked={params.unclassifiedOnly}
              onChange={(e) => update({ unclassifiedOnly: e.target.checked })}
            />{" "}
            Unclassified only <kbd>u</kbd>
          </label>
          <label>
            <input
              type="checkbox"
              checked={tier3}
              onChange={(e) => update({ tiers: e.target.checked ? [1, 2, 3] : [1, 2] })}
            />{" "}
            Tier 3
          </label>
          <label>
            <span className="visually-hidden">Search jobs</span>
            <input
              type="search"
              placeholder="Filter jobs by name or symbol"
              value={params.search}
              onChange={(e) => update({ search: e.target.value })}
            />
          </label>
        </fieldset>
        <p className={`connection conn-${state.connection}`} role="status" data-connection={state.connection}>
          <span aria-hidden="true" className="dot" /> {CONNECTION_TEXT[state.connection]}
        </p>
      </header>
      <details className="legend">
        <summary>Legend and keys</summary>
        <ul>
          {LEGEND.map(({ status, label }) => (
            <li key={status}>
              <span className={`job st-${status}`} aria-hidden="true">
                X
              </span>{" "}
              {label}
            </li>
          ))}
          <li>
            <span className="job st-testfailed classified" aria-hidden="true">
              X*
            </span>{" "}
            Classified failure
          </li>
        </ul>
        <p>
          <kbd>←</kbd>/<kbd>→</kbd> previous/next job · <kbd>n</kbd>/<kbd>p</kbd> next/previous unclassified failure ·{" "}
          <kbd>u</kbd> unclassified only · <kbd>l</kbd> open log · <kbd>Esc</kbd> close the panel
        </p>
      </details>
      {params.revision && (
        <p className="revision-filter">
          Showing revision <code>{params.revision}</code>{" "}
          <button type="button" onClick={() => update({ revision: null })}>
            Show all pushes
          </button>
        </p>
      )}
      {state.error && <p className="error" role="alert">{state.error}</p>}
      <main ref={listRef} className="push-list" onClick={onListClick} aria-busy={state.loading}>
        {pushes.map((entry, index) => (
          <PushView
            deferred={index >= mounted}
            statusFilters={params.failuresOnly || params.unclassifiedOnly}
            key={entry.push.id}
            entry={entry}
            version={entry.version}
            repo={params.repo}
            matches={matches}
            selectedJob={selected}
          />
        ))}
        {!state.loading && pushes.length === 0 && <p className="empty">No pushes yet.</p>}
        <nav className="more" aria-label="More pushes">
          {state.hasMore &&
            [10, 20, 50].map((count) => (
              <button key={count} type="button" onClick={() => void session.loadMore(count)} disabled={state.loading}>
                next {count}
              </button>
            ))}
          {state.loading && <span>Loading…</span>}
        </nav>
      </main>
      {selected !== null && (
        <DetailsPanel
          job={details.job}
          error={details.error}
          onClose={() => select(null)}
          onShowJob={details.replace}
          bugzillaUrl={config.bugzillaUrl}
        />
      )}
    </div>
    </LiveContext.Provider>
  );
}

function parseParamsSelected(): number | null {
  const value = Number(new URLSearchParams(window.location.search).get("selectedJob"));
  return Number.isInteger(value) && value > 0 ? value : null;
}

function parseUnclassified(): boolean {
  return new URLSearchParams(window.location.search).get("unclassified") === "1";
}
