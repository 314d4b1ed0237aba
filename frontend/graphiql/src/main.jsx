// GraphiQL for /graphql: queries over HTTP POST on the same origin, subscriptions over the
// graphql-transport-ws WebSocket on the same path (ws:// or wss:// as the page).
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import { createClient } from "graphql-ws";
import React from "react";
import { createRoot } from "react-dom/client";

const url = new URL(window.location.pathname, window.location.origin).toString();
const wsUrl = url.replace(/^http/, "ws");

// A signed-in session's mutations need the CSRF token (docs/sheriffing.md): Django's csrftoken
// cookie, read at each request, since signing in sets it after the page loaded.
function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return found ? decodeURIComponent(found.slice("csrftoken=".length)) : undefined;
}

function fetchWithCsrf(input, init = {}) {
  const token = csrfToken();
  const headers = token ? { ...init.headers, "X-CSRFToken": token } : init.headers;
  return window.fetch(input, { ...init, headers });
}

const fetcher = createGraphiQLFetcher({
  url,
  fetch: fetchWithCsrf,
  // Lazy: the socket opens only when a subscription runs.
  wsClient: createClient({ url: wsUrl, lazy: true, retryAttempts: 3 }),
});

const defaultQuery = `# The latest pushes of a repository, with their job counts.
query LatestPushes {
  pushes(repository: "autoland", first: 5) {
    nodes {
      databaseId
      revision
      author
      time
      status { completed success testfailed busted pending running }
    }
  }
}
`;

// A link can carry a query in its fragment (never sent to the server): /graphql#query=...
const linkedQuery = new URLSearchParams(window.location.hash.slice(1)).get("query");

createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery,
    query: linkedQuery ?? undefined,
    defaultEditorToolsVisibility: false,
  }),
);
