// Bundles the CLI into dist/bundle/ with esbuild: one module graph for @oclif/core and all of knetdbg,
// lazy `import()`s kept as split chunks. Loading hundreds of separate files was ~100 ms of a 0.4 s trace
// (measured with --cpu-prof). toolchain.md 1.5d: TypeScript/tsx/ts-node stay external (oclif's
// read-tsconfig requires them only in development). The banner gives the ESM bundle the CommonJS globals
// that bundled CommonJS dependencies use (oclif's own plugin-test-esbuild does the same with a shim).
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

// Chunk names change with their content: start from an empty folder so old chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['src/index.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['typescript', 'tsx', 'ts-node', '@oclif/plugin-help'],
  banner: {
    js: [
      "import { createRequire as __knetdbgCreateRequire } from 'node:module';",
      "import { fileURLToPath as __knetdbgFileURLToPath } from 'node:url';",
      'const require = __knetdbgCreateRequire(import.meta.url);',
      'const __filename = __knetdbgFileURLToPath(import.meta.url);',
      "const __dirname = __knetdbgFileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
  logLevel: 'warning',
});
// The collect script template is read next to the module that prints it (src/collect/script.ts).
copyFileSync('src/collect/collect-node.sh', 'dist/bundle/collect-node.sh');
