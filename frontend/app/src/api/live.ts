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

/** How long "resynced" shows after a reconnect before the state reads "live" again. */
const RESYNCED_MS = 4000;

export function createLive(
  onState: (state: ConnectionState) => void,
  url = wsUrl(),
  webSocketImpl?: unknown,
): Live {
  let everConnected = false;
  let resyncTimer: ReturnType<typeof setTimeout> | undefined;
  const client: Client = createClient({
    url,
    webSocketImpl,
    lazy: true,
    // Client pings: a dead peer is noticed within keepAlive + the server's pong wait.
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    // 0.5 s, 1 s, 2 s ... at most 10 s, with jitter: a fleet of tabs does not reconnect in step.
    retryWait: async (retries) => {
      const wait = Math.min(10_000, 500 * 2 ** retries) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, wait));
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
      closed: () => {
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
