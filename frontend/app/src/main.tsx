import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./components/App";
import { readConfig } from "./config";
import "./styles.css";

// `/` is the job view of the default repository, as Treeherder's.
if (!window.location.pathname.startsWith("/jobs")) {
  window.history.replaceState(null, "", `/jobs${window.location.search || "?repo=autoland"}`);
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App config={readConfig()} />
    </StrictMode>,
  );
}
