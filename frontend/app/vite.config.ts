// The job view, built into dist/ and served by Django/WhiteNoise: index.html at / (and every
// client-side route), the hashed assets under /static/app/ (cached immutably).
// `npm run dev` serves the sources with hot reload and proxies /graphql, WebSockets included, to
// the Daphne named by TH_BACKEND (default http://127.0.0.1:8000).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const backend = process.env.TH_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig(({ command }) => ({
  base: command === "build" ? "/static/app/" : "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
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
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
}));
