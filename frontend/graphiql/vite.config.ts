// GraphiQL, built into dist/ and served by Django/WhiteNoise: index.html at /graphql (schema/views.py),
// the hashed assets under /static/graphiql/assets/ (cached immutably). Everything it loads is
// bundled here, Monaco's web workers included: no CDN, nothing from another origin.
// `npm run dev` serves the sources with hot reload and proxies /graphql, WebSockets included, to
// the Daphne named by TH_BACKEND (default http://127.0.0.1:8000).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const backend = process.env.TH_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig(({ command }) => ({
  base: command === "build" ? "/static/graphiql/" : "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Monaco (the editor, loaded by GraphiQL with a dynamic import, so in a chunk of its own) is
    // about 4 MB before compression: expected for a developer tool, and cached immutably.
    chunkSizeWarningLimit: 5000,
  },
  // Module workers: GraphQL's worker loads parts of itself on demand, which the default (classic,
  // IIFE) worker format cannot split. Every browser GraphiQL 5 supports runs module workers.
  worker: { format: "es" },
  // The worker entry points must reach Vite's worker transform untouched (GraphiQL's Vite notes).
  optimizeDeps: { exclude: ["graphiql/setup-workers/vite", "@graphiql/react/setup-workers/vite"] },
  server: {
    proxy: {
      "/graphql": {
        target: backend,
        ws: true,
        changeOrigin: true,
        // The server admits WebSocket handshakes from its own origin (and CORS_ALLOWED_ORIGINS):
        // the dev server speaks for the page, so the handshake carries the backend's origin.
        configure: (proxy) => {
          proxy.on("proxyReqWs", (proxyReq) => proxyReq.setHeader("origin", backend));
        },
      },
    },
  },
}));
