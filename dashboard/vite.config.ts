import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build lands in the Python package (pydispatch/api/dashboard), served by `hewer api` at /.
// Fixed file names keep the committed build stable: `make dashboard-check` rebuilds and diffs.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../pydispatch/api/dashboard",
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        entryFileNames: "assets/app.js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/[name][extname]",
      },
    },
  },
  server: {
    proxy: { "/v1": "http://127.0.0.1:8080", "/readyz": "http://127.0.0.1:8080" },
  },
});
