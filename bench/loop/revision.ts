/**
 * The code revision a loop result was measured on: a hash of the committed files whose change
 * would invalidate the figures (the routing path, the benchmark, the load generator, Envoy's
 * bootstrap and install), so results can be accumulated across sessions (`--resume`) only onto
 * results of the same code. Documentation (`*.md`) is left out: editing a README does not
 * invalidate a measurement. Uncommitted changes in those paths make the revision "dirty": such
 * results say nothing reproducible about any commit, so nothing is resumed onto them.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { projectRoot } from '../../stack/paths.ts';

/** The paths whose committed content the revision covers (files or folders). */
export const revisionPaths: readonly string[] = [
  'bench/loop',
  'demo/load',
  'envoy',
  'stack/envoy',
  'stream-jobs/access-log-batch.ts',
  'stream-jobs/collector',
  'stream-jobs/policy',
  'stream-jobs/rollup',
  'stream-jobs/topic-reader.ts',
  'stream-jobs/topics.ts',
  'xds-server',
];

export interface Revision {
  /**
   * 12 hex digits over every path's hash; 'dirty': uncommitted changes in those paths;
   * 'unknown': no git (e.g. an exported tree).
   */
  readonly tree: string;
  /** HEAD when measured, for the reader (the tree is what is compared). */
  readonly commit: string | null;
  /** Each path's own hash (12 hex digits; 'absent' when not in HEAD): names what changed. */
  readonly paths: Readonly<Record<string, string>>;
  /** Files in those paths with uncommitted changes (empty unless tree is 'dirty'). */
  readonly dirty: readonly string[];
}

const hash = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 12);
const notDocs = (file: string) => !file.endsWith('.md');

/**
 * Pure: the revision from `git ls-tree -r HEAD -- <path>` per path (`mode type object\tfile`
 * lines) and `git status --porcelain` lines (`XY file`) over the same paths.
 */
export function revisionOf(
  listings: Readonly<Record<string, string>>,
  statusLines: readonly string[],
  commit: string | null,
): Revision {
  const paths: Record<string, string> = {};
  for (const [path, listing] of Object.entries(listings)) {
    const lines = listing
      .split('\n')
      .filter((l) => l.trim() && notDocs(l.split('\t')[1] ?? ''))
      .sort();
    paths[path] = lines.length ? hash(lines.join('\n')) : 'absent';
  }
  const dirty = statusLines
    .filter((l) => l.trim())
    .map((l) => l.slice(3).replace(/^.* -> /, ''))
    .filter(notDocs)
    .sort();
  const tree = dirty.length
    ? 'dirty'
    : hash(
        Object.keys(paths)
          .sort()
          .map((p) => `${p} ${paths[p]}`)
          .join('\n'),
      );
  return { tree, commit, paths, dirty };
}

const git = (args: string[]) =>
  execFileSync('git', ['--no-optional-locks', ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 2 ** 20,
  });

/** The working tree's revision of {@link revisionPaths}; read-only git commands only. */
export function codeRevision(paths: readonly string[] = revisionPaths): Revision {
  try {
    const commit = git(['rev-parse', 'HEAD']).trim();
    const listings = Object.fromEntries(
      paths.map((p) => [p, git(['ls-tree', '-r', 'HEAD', '--', p])]),
    );
    const status = git(['status', '--porcelain=v1', '--untracked-files=all', '--', ...paths]);
    return revisionOf(listings, status.split('\n'), commit);
  } catch {
    return { tree: 'unknown', commit: null, paths: {}, dirty: [] };
  }
}
