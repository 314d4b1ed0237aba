// GraphiQL, built into dist/ and served by Django/WhiteNoise under /static/graphiql/.
// Everything it loads is bundled here: no CDN, nothing from outside.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/graphiql/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One entry chunk; GraphiQL's own code is large and that is fine for a developer tool.
    chunkSizeWarningLimit: 4000,
  },
});
