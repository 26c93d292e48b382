import { defineConfig } from "vite";

// `make web-dev`: live reload here, with the API (and the local sign-in and config.json) of a
// running `make serve` behind the same origin.
const api = process.env.BGR_API ?? "http://127.0.0.1:3000";
const proxied = ["/api", "/health", "/local", "/config.json"];

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", assetsInlineLimit: 0, sourcemap: false },
  server: {
    host: "127.0.0.1",
    port: Number(process.env.WEB_PORT ?? 5173),
    strictPort: true,
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: api, changeOrigin: false }])),
  },
});
