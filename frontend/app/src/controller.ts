// One job view session: the first load (liveCursor, then pushes with their job table), the two
// subscriptions resuming from that cursor, and "next N pushes". It owns a JobStore; React reads it.
import { query } from "./api/http";
import { createLive, type ConnectionState, type GqlErrors, type Live, type LiveSubscription } from "./api/live";
import {
  JOB_CHANGED,
  JOB_TABLE,
  LIVE_CURSOR,
  PUSH_CHANGED,
  PUSHES_WITH_JOBS,
} from "./api/operations";
import type {
  JobChangedSubscription,
  JobTableFieldsFragment,
  JobTablePageQuery,
  JobTablePageQueryVariables,
  LiveCursorQuery,
  PushChangedSubscription,
  PushesWithJobsQuery,
  PushesWithJobsQueryVariables,
} from "./generated/graphql";
import { jobFromEvent, jobsFromTable, pushFromApi } from "./store/convert";
import { JobStore } from "./store/jobStore";

export const DEFAULT_PUSH_COUNT = 10;

/** A subscription made through `watch`: how to make it on a client, and how to end it there. */
interface Watcher {
  attach: (live: Live) => () => void;
  stop: (() => void) | null;
}

export interface SessionState {
  connection: ConnectionState;
  loading: boolean;
  error: string | null;
  hasMore: boolean;
}

export class JobViewSession {
  readonly store: JobStore;
  private live: Live | null = null;
  private unsubscribers: Array<() => void> = [];
  private watchers = new Set<Watcher>();
  private endCursor: string | null = null;
  private listeners = new Set<() => void>();
  /** Bumped by start() and dispose(): a load that finishes for an older generation is dropped. */
  private generation = 0;
  state: SessionState = { connection: "connecting", loading: true, error: null, hasMore: false };

  constructor(
    readonly repo: string,
    readonly revision: string | null,
  ) {
    this.store = new JobStore({
      accepts: (push) => revision === null || push.revision.startsWith(revision),
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): SessionState => this.state;

  private setState(change: Partial<SessionState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    try {
      // The cursor first, then the state: nothing can fall between the query and the subscriptions.
      const { liveCursor } = await query<LiveCursorQuery>(LIVE_CURSOR);
      await this.loadPage(DEFAULT_PUSH_COUNT, null, generation);
      if (generation !== this.generation) return;
      this.store.setCursor(liveCursor);
      this.subscribeLive();
      performance.mark("th:loaded");
    } catch (error) {
      this.setState({ loading: false, error: String(error) });
    }
  }

  /** "next 10 / 20 / 50": the pushes after the oldest loaded one. */
  async loadMore(count: number): Promise<void> {
    if (!this.state.hasMore || this.state.loading) return;
    try {
      await this.loadPage(count, this.endCursor, this.generation);
    } catch (error) {
      this.setState({ loading: false, error: String(error) });
    }
  }

  private async loadPage(count: number, after: string | null, generation: number): Promise<void> {
    this.setState({ loading: true });
    const data = await query<PushesWithJobsQuery, PushesWithJobsQueryVariables>(PUSHES_WITH_JOBS, {
      repository: this.repo,
      first: count,
      after,
      revision: this.revision,
    });
    const page = data.pushes;
    const tables: JobTableFieldsFragment[] = [page.jobTable];
    const pushIds = page.nodes.map((push) => push.databaseId);
    let table = page.jobTable;
    while (table.pageInfo.hasNextPage) {
      const more = await query<JobTablePageQuery, JobTablePageQueryVariables>(JOB_TABLE, {
        pushIds,
        after: table.pageInfo.endCursor,
      });
      table = more.jobTable;
      tables.push(table);
    }
    if (generation !== this.generation) return;
    // The benchmark reads the cost of turning the columns into the store's records (docs/ui.md).
    const started = performance.now();
    this.store.load(page.nodes.map(pushFromApi), tables.flatMap(jobsFromTable));
    performance.measure("th:store-load", { start: started, end: performance.now() });
    this.endCursor = page.pageInfo.endCursor;
    this.setState({ loading: false, hasMore: page.pageInfo.hasNextPage, error: null });
  }

  /** The one WebSocket of the page (created on first use; graphql-ws connects lazily). */
  private liveClient(): Live {
    this.live ??= createLive((connection) => this.setState({ connection }));
    return this.live;
  }

  /**
   * Another subscription on the page's WebSocket (the Push Health panel's), sharing its connection
   * state and retries. When the session loads anew (CURSOR_EXPIRED) and replaces its client, these
   * are subscribed again on the new one; they end when their owner unsubscribes or the session ends.
   */
  watch = <TData>(sub: LiveSubscription<TData>): (() => void) => {
    const watcher: Watcher = { attach: (live) => live.subscribe(sub), stop: null };
    watcher.stop = watcher.attach(this.liveClient());
    this.watchers.add(watcher);
    return () => {
      watcher.stop?.();
      this.watchers.delete(watcher);
    };
  };

  private subscribeLive(): void {
    const live = this.liveClient();
    for (const watcher of this.watchers) watcher.stop ??= watcher.attach(live);
    const onError = (errors: GqlErrors) => this.onStreamError(errors);
    this.unsubscribers.push(
      live.subscribe<JobChangedSubscription>({
        document: JOB_CHANGED,
        variables: { repository: this.repo, after: this.store.cursors.jobs },
        next: ({ jobChanged }) => {
          this.store.applyJobEvent(jobChanged.cursor, jobChanged.job ? jobFromEvent(jobChanged.job) : null);
          return jobChanged.cursor;
        },
        error: onError,
      }),
      live.subscribe<PushChangedSubscription>({
        document: PUSH_CHANGED,
        variables: { repository: this.repo, after: this.store.cursors.pushes },
        next: ({ pushChanged }) => {
          this.store.applyPushEvent(pushChanged.cursor, pushChanged.push ? pushFromApi(pushChanged.push) : null);
          return pushChanged.cursor;
        },
        error: onError,
      }),
    );
  }

  /** A cursor the server no longer keeps: load the view anew and subscribe from the new head. */
  private onStreamError(errors: GqlErrors): void {
    const expired = errors.some((e) => e.extensions?.["code"] === "CURSOR_EXPIRED");
    this.setState({ error: errors.map((e) => e.message).join("; ") });
    if (expired) {
      this.stopLive();
      this.store.reset();
      void this.start();
    }
  }

  private stopLive(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    for (const watcher of this.watchers) {
      watcher.stop?.();
      watcher.stop = null;
    }
    this.live?.dispose();
    this.live = null;
  }

  dispose(): void {
    this.generation += 1;
    this.stopLive();
  }
}
