// The view's state in the URL, so a view can be shared: /jobs?repo=autoland&revision=...&
// selectedJob=123&tier=1,2,3&failures=1&unclassified=1&search=mochitest&pushHealth=<revision>. Hand-written rather than
// a router library: one route, a handful of query parameters.
import { useCallback, useSyncExternalStore } from "react";

export interface ViewParams {
  repo: string;
  revision: string | null;
  selectedJob: number | null;
  tiers: number[];
  failuresOnly: boolean;
  unclassifiedOnly: boolean;
  search: string;
  /** The push whose Push Health panel is open (its revision). */
  pushHealth: string | null;
}

export const DEFAULT_REPO = "autoland";

export function parseParams(search: string): ViewParams {
  const q = new URLSearchParams(search);
  const tiers = (q.get("tier") ?? "1,2")
    .split(",")
    .map(Number)
    .filter((tier) => tier >= 1 && tier <= 3);
  const selected = Number(q.get("selectedJob"));
  return {
    repo: q.get("repo") || DEFAULT_REPO,
    revision: q.get("revision") || null,
    selectedJob: Number.isInteger(selected) && selected > 0 ? selected : null,
    tiers: tiers.length ? tiers : [1, 2],
    failuresOnly: q.get("failures") === "1",
    unclassifiedOnly: q.get("unclassified") === "1",
    search: q.get("search") ?? "",
    pushHealth: q.get("pushHealth") || null,
  };
}

export function formatParams(params: ViewParams): string {
  const q = new URLSearchParams({ repo: params.repo });
  if (params.revision) q.set("revision", params.revision);
  const tiers = [...params.tiers].sort().join(",");
  if (tiers !== "1,2") q.set("tier", tiers);
  if (params.failuresOnly) q.set("failures", "1");
  if (params.unclassifiedOnly) q.set("unclassified", "1");
  if (params.search) q.set("search", params.search);
  if (params.selectedJob !== null) q.set("selectedJob", String(params.selectedJob));
  if (params.pushHealth) q.set("pushHealth", params.pushHealth);
  return `?${q.toString()}`;
}

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
if (typeof window !== "undefined") window.addEventListener("popstate", notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const getSearch = () => window.location.search;

/** The parameters, and a setter: a new repository or revision is a history entry, the rest replace. */
export function useViewParams(): [ViewParams, (change: Partial<ViewParams>) => void] {
  const search = useSyncExternalStore(subscribe, getSearch);
  const params = parseParams(search);
  const update = useCallback((change: Partial<ViewParams>) => {
    const current = parseParams(window.location.search);
    const next = { ...current, ...change };
    const url = `/jobs${formatParams(next)}`;
    if (next.repo !== current.repo || next.revision !== current.revision) window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
    notify();
  }, []);
  return [params, update];
}
