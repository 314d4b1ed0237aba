// The job view's state: a small store of plain records fed by one jobTable load and by the
// jobChanged/pushChanged subscriptions. Why not a normalized GraphQL cache (Apollo, graphcache):
// the grid holds 20,000 jobs, and turning each into a cache entity (with its refs to job type,
// group and platform entities, then denormalizing them again for every render) is the slow path
// the columnar jobTable exists to avoid (docs/ui.md has the figures). Here a job is one frozen
// object; an event replaces it; only its push's version changes, so only that push re-renders.
//
// Ordering rules (the server delivers in cursor order, but the client must not trust a replay
// racing a snapshot): an event at or below the cursor already applied is a duplicate; a job never
// moves back in state, and a job older (lastModified) than the one held is ignored.
import { STATE_RANK, type Job } from "../model/jobs";
import type { Push } from "./convert";

export interface PushEntry {
  push: Push;
  jobs: ReadonlyMap<number, StoredJob>;
  /** Bumped on every change of the push or its jobs: the memo key of its rendering. */
  version: number;
  /** Bumped only when the layout can change (a job added, a tier changed): the grid's order key. */
  structure: number;
}

/** A job as held: `seq` grows with every change the store accepts (rows re-render on it). */
export type StoredJob = Readonly<Job & { seq: number }>;

export type Scheduler = (flush: () => void) => void;

/** One render per animation frame; none while the tab is hidden (flushed when it shows again). */
export const frameScheduler: Scheduler = (flush) => {
  if (typeof document !== "undefined" && document.visibilityState === "hidden") {
    const onVisible = () => {
      if (document.visibilityState === "hidden") return;
      document.removeEventListener("visibilitychange", onVisible);
      flush();
    };
    document.addEventListener("visibilitychange", onVisible);
    return;
  }
  requestAnimationFrame(flush);
};

const MAX_PENDING_JOBS = 50_000;

const cursorValue = (cursor: string): number => Number(cursor);

export interface StoreOptions {
  scheduler?: Scheduler;
  /** Whether a push that arrives by event belongs in this view (e.g. it matches `revision=`). */
  accepts?: (push: Push) => boolean;
}

export class JobStore {
  private entries = new Map<number, { push: Push; jobs: Map<number, StoredJob>; version: number; structure: number }>();
  private seq = 0;
  private sorted: PushEntry[] = [];
  private sortedDirty = true;
  /** Jobs of pushes newer than any loaded one, whose push event has not arrived yet. */
  private pending = new Map<number, Map<number, StoredJob>>();
  private pendingCount = 0;
  private listeners = new Set<() => void>();
  private scheduled = false;
  private version = 0;
  private readonly scheduler: Scheduler;
  private readonly accepts: (push: Push) => boolean;
  /** The last cursor applied per stream: the `after:` a reconnect resumes from. */
  readonly cursors: { jobs: string | null; pushes: string | null } = { jobs: null, pushes: null };
  /** Events skipped as duplicates or stale, for tests and the status line. */
  ignored = 0;

  constructor(options: StoreOptions = {}) {
    this.scheduler = options.scheduler ?? frameScheduler;
    this.accepts = options.accepts ?? (() => true);
  }

  // --- reading (React binds through subscribe/getSnapshot) ---

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): number => this.version;

  /** Pushes newest first (time, then id). */
  pushes(): readonly PushEntry[] {
    if (this.sortedDirty) {
      this.sorted = [...this.entries.values()]
        .sort((a, b) => b.push.time - a.push.time || b.push.id - a.push.id)
        .map((entry) => ({ push: entry.push, jobs: entry.jobs, version: entry.version, structure: entry.structure }));
      this.sortedDirty = false;
    }
    return this.sorted;
  }

  job(id: number): StoredJob | undefined {
    for (const entry of this.entries.values()) {
      const job = entry.jobs.get(id);
      if (job) return job;
    }
    return undefined;
  }

  get jobCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) count += entry.jobs.size;
    return count;
  }

  // --- writing ---

  /** Starting points of both streams: the liveCursor read before the first query. */
  setCursor(cursor: string): void {
    this.cursors.jobs ??= cursor;
    this.cursors.pushes ??= cursor;
  }

  /** Pushes and their jobs from a query (the first page or "next N"). */
  load(pushes: readonly Push[], jobs: readonly Job[]): void {
    for (const push of pushes) {
      const entry = this.entries.get(push.id);
      if (entry) entry.push = push;
      else this.entries.set(push.id, { push, jobs: this.takePending(push.id), version: 0, structure: 0 });
    }
    for (const job of jobs) this.putJob(job);
    for (const push of pushes) this.touch(push.id);
    this.changed();
  }

  /** Forget everything (a new repository, or a cursor the server no longer has). */
  reset(): void {
    this.entries.clear();
    this.pending.clear();
    this.pendingCount = 0;
    this.cursors.jobs = null;
    this.cursors.pushes = null;
    this.sortedDirty = true;
    this.changed();
  }

  applyJobEvent(cursor: string, job: Job | null): void {
    if (!this.advance("jobs", cursor)) return;
    if (job && this.putJob(job)) {
      this.touch(job.pushId);
      this.changed();
    }
  }

  applyPushEvent(cursor: string, push: Push | null): void {
    if (!this.advance("pushes", cursor) || !push) return;
    const entry = this.entries.get(push.id);
    if (entry) {
      entry.push = push;
    } else {
      if (!this.accepts(push) || !this.isInWindow(push)) return;
      this.entries.set(push.id, { push, jobs: this.takePending(push.id), version: 0, structure: 0 });
    }
    this.touch(push.id);
    this.changed();
  }

  oldestPush(): Push | undefined {
    const list = this.pushes();
    return list[list.length - 1]?.push;
  }

  // --- internals ---

  private advance(stream: "jobs" | "pushes", cursor: string): boolean {
    const last = this.cursors[stream];
    if (last !== null && cursorValue(cursor) <= cursorValue(last)) {
      this.ignored += 1;
      return false;
    }
    this.cursors[stream] = cursor;
    return true;
  }

  /** A new push belongs at the top; one older than the oldest loaded belongs to a page not loaded. */
  private isInWindow(push: Push): boolean {
    const oldest = this.oldestPush();
    return !oldest || push.time > oldest.time || (push.time === oldest.time && push.id > oldest.id);
  }

  /** Store a job if it is news; false if it is a duplicate, stale, or of a push not shown. */
  private putJob(job: Job): boolean {
    const entry = this.entries.get(job.pushId);
    const jobs = entry?.jobs ?? this.pendingFor(job.pushId);
    if (!jobs) return false;
    const held = jobs.get(job.id);
    if (held && (STATE_RANK[job.state] < STATE_RANK[held.state] || job.lastModified < held.lastModified)) {
      this.ignored += 1;
      return false;
    }
    if (!entry && !held) this.pendingCount += 1;
    if (entry && (!held || held.tier !== job.tier)) entry.structure += 1;
    jobs.set(job.id, Object.freeze({ ...job, seq: ++this.seq }));
    return entry !== undefined;
  }

  private pendingFor(pushId: number): Map<number, StoredJob> | undefined {
    let newest = 0;
    for (const id of this.entries.keys()) newest = Math.max(newest, id);
    if (pushId <= newest || this.pendingCount >= MAX_PENDING_JOBS) return undefined;
    let jobs = this.pending.get(pushId);
    if (!jobs) {
      jobs = new Map();
      this.pending.set(pushId, jobs);
    }
    return jobs;
  }

  private takePending(pushId: number): Map<number, StoredJob> {
    const jobs = this.pending.get(pushId) ?? new Map<number, StoredJob>();
    this.pendingCount -= this.pending.get(pushId)?.size ?? 0;
    this.pending.delete(pushId);
    return jobs;
  }

  private touch(pushId: number): void {
    const entry = this.entries.get(pushId);
    if (!entry) return;
    // The push's rendering is memoized on this number; its jobs map is updated in place (renders
    // happen only at a flush, never between two writes of one burst).
    entry.version += 1;
    this.sortedDirty = true;
  }

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.scheduler(() => {
      this.scheduled = false;
      this.version += 1;
      for (const listener of this.listeners) listener();
    });
  }
}
