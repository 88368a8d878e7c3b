import { defineConfig } from 'vite';

// Built by `npm run build:web` (`vite build web`) into web/dist, which the service serves at `/`
// (src/http/web-ui.ts). Hashed asset names under assets/ let the service cache them for good.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1000,
    rolldownOptions: {
      // TanStack Query's "use client" lines are for React Server Components, which this app does not use.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
