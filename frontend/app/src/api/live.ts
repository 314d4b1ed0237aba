// Subscriptions over graphql-transport-ws (graphql-ws) on /graphql, with resume: every event's
// cursor is written into the subscription's own `after` variable, and graphql-ws re-sends that
// same payload object on each reconnect (its subscribe loop stringifies it per attempt), so a
// reconnect resumes right after the last event seen: nothing missed, nothing twice.
import { createClient, type Client, type SubscribePayload } from "graphql-ws";

export type GqlErrors = ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;

export type ConnectionState = "connecting" | "live" | "reconnecting" | "resynced" | "failed";

export interface LiveSubscription<TData> {
  document: string;
  variables: Record<string, unknown> & { after: string | null };
  next: (data: TData) => string | null | undefined;
  error: (errors: GqlErrors) => void;
}

export interface Live {
  subscribe<TData>(sub: LiveSubscription<TData>): () => void;
  dispose(): void;
}

export function wsUrl(location: Location = window.location): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
}

/** The server is restarting (a graceful stop closes every socket with this code). */
export const CLOSE_GOING_AWAY = 1001;

/**
 * Milliseconds to wait before reconnect attempt `retries` (0: the first since the last connection).
 * After 1001 ("going away": the server is restarting, another process is there or soon will be) the
 * first attempt is at once, within 250 ms of jitter so that a fleet of tabs does not arrive in one
 * instant. Otherwise, and for later attempts: 0.5 s, 1 s, 2 s ... at most 10 s, with jitter.
 */
export function retryDelay(retries: number, closeCode: number | undefined, random: () => number = Math.random): number {
  if (closeCode === CLOSE_GOING_AWAY && retries === 0) return 250 * random();
  return Math.min(10_000, 500 * 2 ** retries) * (0.75 + random() / 2);
}

/** How long "resynced" shows after a reconnect before the state reads "live" again. */
const RESYNCED_MS = 4000;

export function createLive(
  onState: (state: ConnectionState) => void,
  url = wsUrl(),
  webSocketImpl?: unknown,
): Live {
  let everConnected = false;
  let lastCloseCode: number | undefined;
  let resyncTimer: ReturnType<typeof setTimeout> | undefined;
  const client: Client = createClient({
    url,
    webSocketImpl,
    lazy: true,
    // Client pings: a dead peer is noticed within keepAlive + the server's pong wait.
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, retryDelay(retries, lastCloseCode)));
    },
    on: {
      connecting: () => onState(everConnected ? "reconnecting" : "connecting"),
      connected: () => {
        if (!everConnected) {
          everConnected = true;
          onState("live");
          return;
        }
        onState("resynced");
        clearTimeout(resyncTimer);
        resyncTimer = setTimeout(() => onState("live"), RESYNCED_MS);
      },
      closed: (event) => {
        lastCloseCode = (event as { code?: number } | undefined)?.code;
        if (everConnected) onState("reconnecting");
      },
    },
  });
  return {
    subscribe<TData>(sub: LiveSubscription<TData>) {
      const payload: SubscribePayload = { query: sub.document, variables: sub.variables };
      return client.subscribe<TData>(payload, {
        next: (result) => {
          if (result.errors?.length) {
            sub.error(result.errors as unknown as GqlErrors);
            return;
          }
          if (!result.data) return;
          const cursor = sub.next(result.data);
          if (cursor) sub.variables.after = cursor;
        },
        error: (error) => {
          const errors: GqlErrors = Array.isArray(error) ? error : [{ message: String(error) }];
          onState("failed");
          sub.error(errors);
        },
        complete: () => undefined,
      });
    },
    dispose() {
      clearTimeout(resyncTimer);
      void client.dispose();
    },
  };
}
