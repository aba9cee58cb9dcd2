import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard: a static React app served by the gateway at `/` (src/http/static.ts).
// Built into dashboard/dist by `npm run build:dashboard`; hashed files go under assets/.
export default defineConfig({
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
