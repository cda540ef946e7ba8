import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const clientDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client');

/** The pages' scripts: URL name → entry module under client/. */
export const entries = {
  'graph.js': 'graph-main.ts',
  'dashboards.js': 'dashboards-main.ts',
} as const;

export type BundleName = keyof typeof entries;

// One build per process, shared by every app (tests create many): the sources do not change
// while the process runs, and a build of sigma + graphology costs a few hundred ms of CPU.
let built: Promise<Map<BundleName, string>> | undefined;

/**
 * The client bundles, built by esbuild on first use and kept in memory. A failed build is not
 * kept, so the next request tries again (after a fix, in development).
 */
export function bundles(): Promise<Map<BundleName, string>> {
  built ??= buildAll().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}

async function buildAll(): Promise<Map<BundleName, string>> {
  const names = Object.keys(entries) as BundleName[];
  const result = await build({
    entryPoints: names.map((name) => ({
      in: path.join(clientDir, entries[name]),
      out: name.slice(0, -'.js'.length),
    })),
    outdir: '/bundle',
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    // Inline, so a stack trace in the browser's console names the client module and line.
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return new Map(
    names.map((name) => {
      const file = result.outputFiles.find((f) => path.basename(f.path) === name);
      if (file === undefined) throw new Error(`esbuild produced no ${name}`);
      return [name, file.text];
    }),
  );
}
