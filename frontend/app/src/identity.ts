// Who is signed in, asked once per page: GET /accounts/session/ first (it sets the csrftoken cookie
// that mutations send back as X-CSRFToken), then `me` and the failure classifications. Every
// component that needs it shares the one answer (useIdentity).
import { useSyncExternalStore } from "react";
import { fetchSession, query } from "./api/http";
import { ME } from "./api/operations";
import type { MeQuery } from "./generated/graphql";

export type Me = NonNullable<MeQuery["me"]>;
export type Classification = MeQuery["failureClassifications"][number];

export type Identity =
  | { status: "loading" }
  | { status: "error"; message: string }
  | { status: "ready"; me: Me | null; classifications: Classification[] };

let identity: Identity = { status: "loading" };
let started = false;
const listeners = new Set<() => void>();

function set(next: Identity): void {
  identity = next;
  listeners.forEach((listener) => listener());
}

export async function loadIdentity(): Promise<void> {
  try {
    await fetchSession();
    const data = await query<MeQuery>(ME);
    set({ status: "ready", me: data.me, classifications: data.failureClassifications });
  } catch (error) {
    set({ status: "error", message: error instanceof Error ? error.message : String(error) });
  }
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!started) {
    started = true;
    void loadIdentity();
  }
  return () => listeners.delete(listener);
}

export function useIdentity(): Identity {
  return useSyncExternalStore(subscribe, () => identity);
}

/** Tests: forget the answer (the next useIdentity asks again). */
export function resetIdentity(): void {
  identity = { status: "loading" };
  started = false;
}

/** The login page, coming back to this very view (repository, revision, selected job). */
export function signInUrl(location: Pick<Location, "pathname" | "search" | "hash"> = window.location): string {
  return `/accounts/login/?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`;
}
