import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { type ConfigIssue, formatIssue } from './issues.ts';
import { type ParseResult, parseMeshConfig } from './parse.ts';
import type { MeshConfig } from './types.ts';

/** Reads and parses `file`; a file that cannot be read is reported as an issue, not thrown. */
export async function loadMeshConfig(file: string): Promise<ParseResult> {
  try {
    return parseMeshConfig(await readFile(file, 'utf8'), file);
  } catch (error) {
    return { ok: false, errors: [readIssue(file, error)] };
  }
}

/**
 * Options for {@link watchMeshConfig}.
 * - `onConfig` ((config: MeshConfig) => void, required): called with each newly accepted
 *   config, the first one included. Not called when an edit only brings back the text that
 *   is already serving (an invalid edit, then undone).
 * - `onRejected` ((issues: readonly ConfigIssue[]) => void, required): called when the file
 *   changes to something invalid or unreadable; the last good config stays current.
 * - `log` (pino Logger, required): each acceptance and rejection is logged here too, and so is
 *   anything a callback throws (the watcher itself never throws).
 * - `debounceMs` (number, default 100): quiet time after the last file event before reading,
 *   so that an editor's truncate-then-write is read once, whole.
 */
export interface WatchMeshConfigOptions {
  onConfig(config: MeshConfig): void;
  onRejected(issues: readonly ConfigIssue[]): void;
  log: Logger;
  debounceMs?: number;
}

export interface MeshConfigWatcher {
  /** The last good config, or undefined while the file has never been valid. */
  current(): MeshConfig | undefined;
  /** Stops watching; no callback runs after this returns. */
  close(): void;
}

/**
 * Hot reload with last-good semantics. The first read happens inside this call: its result
 * reaches `onConfig` or `onRejected` before the handle is returned, so `current()` already
 * answers. The directory is watched rather than the file: editors that save by writing a
 * temporary file and renaming it over the original, and Kubernetes ConfigMap volumes (a
 * symlink swap), replace the inode a file watch would be holding. Any event in the directory
 * triggers a re-read; reads whose text is unchanged do nothing.
 */
export function watchMeshConfig(file: string, options: WatchMeshConfigOptions): MeshConfigWatcher {
  const { onConfig, onRejected, log, debounceMs = 100 } = options;
  let current: MeshConfig | undefined;
  let servingText: string | undefined;
  // The last text handled (or read failure, prefixed with NUL): repeated events are no-ops.
  let lastSeen: string | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let reads = Promise.resolve();

  const guard = (what: string, callback: () => void) => {
    try {
      callback();
    } catch (error) {
      log.error({ err: error, file }, `mesh config ${what} callback threw`);
    }
  };

  const handle = (text: string | ConfigIssue) => {
    const seen = typeof text === 'string' ? text : `\0${text.reason}`;
    if (closed || seen === lastSeen) return;
    lastSeen = seen;
    if (text === servingText) {
      log.info({ file }, 'mesh config is back to the version being served');
      return;
    }
    const result = typeof text === 'string' ? parseMeshConfig(text, file) : undefined;
    if (result?.ok) {
      current = result.config;
      servingText = text as string;
      log.info({ file }, 'mesh config accepted');
      guard('onConfig', () => onConfig(result.config));
      return;
    }
    const issues = result === undefined ? [text as ConfigIssue] : result.errors;
    log.warn(
      { file, issues: issues.map(formatIssue) },
      current === undefined
        ? 'mesh config rejected; nothing is serving yet'
        : 'mesh config rejected; the last good config keeps serving',
    );
    guard('onRejected', () => onRejected(issues));
  };

  const read = async () => {
    const text = await readFile(file, 'utf8').catch((error: unknown) => readIssue(file, error));
    try {
      handle(text);
    } catch (error) {
      // Only a bug in the parser gets here; the chain of reads must outlive it.
      log.error({ err: error, file }, 'mesh config reload failed');
    }
  };

  let watcher: FSWatcher | undefined;
  try {
    // Watching starts before the first read so that no edit can fall between the two.
    watcher = watch(path.dirname(file), () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        reads = reads.then(read);
      }, debounceMs);
    });
    watcher.on('error', (error) => log.error({ err: error, file }, 'mesh config watch failed'));
  } catch (error) {
    log.error({ err: error, file }, 'cannot watch the mesh config; edits will not be picked up');
  }

  let text: string | ConfigIssue;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    text = readIssue(file, error);
  }
  handle(text);

  return {
    current: () => current,
    close: () => {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

function readIssue(file: string, error: unknown): ConfigIssue {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'the file does not exist'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : String((error as Error).message ?? error);
  return { file, path: '', reason: `cannot read the mesh config: ${why}` };
}
