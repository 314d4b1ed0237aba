// GraphiQL for /graphql: queries and mutations over HTTP POST on the same origin, subscriptions
// over the graphql-transport-ws WebSocket on the same path (ws:// or wss:// as the page).
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
// Monaco runs its language services in web workers: this module points Monaco at workers Vite
// builds into our own assets (served from this origin, so the page's CSP needs only worker-src 'self').
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { createClient } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { defaultQuery, linkedQuery } from "./queries";
import { fetchWithCsrf } from "./csrf";
import { currentOperation } from "./operation";

const url = new URL("/graphql", window.location.origin).toString();

const toolkitFetcher = createGraphiQLFetcher({
  url,
  fetch: fetchWithCsrf,
  // Lazy: the socket opens only when a subscription runs.
  wsClient: createClient({ url: url.replace(/^http/, "ws"), lazy: true, retryAttempts: 3 }),
});
// Every Run is sent as its text says, even within GraphiQL's 100 ms debounce (./operation.ts).
const fetcher: Fetcher = (params, opts) => toolkitFetcher(...currentOperation(params, opts));

const root = document.getElementById("graphiql");
if (!root) throw new Error("index.html has no #graphiql element");

createRoot(root).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={defaultQuery}
      initialQuery={linkedQuery(window.location.hash)}
      defaultEditorToolsVisibility={false}
    />
  </StrictMode>,
);
