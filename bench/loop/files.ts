/**
 * The results files: the stored results a `--resume` continues (checked against this session),
 * and atomic writes, so neither a reader nor an interrupted session ever sees half a file.
 */

import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../lib/write-atomic.ts';
import type { MachineInfo } from '../xds-scale/machine.ts';
import type { Options } from './options.ts';
import type { Report } from './report.ts';
import { parseStored, resumeProblems } from './resume.ts';
import type { Revision } from './revision.ts';

/** Writes `text` to `path` atomically (lib/write-atomic.ts); no path (no --json/--md): nothing. */
export function write(path: string | undefined, text: string): void {
  if (path) writeFileAtomic(path, text);
}

/** The results at `path` when resuming (checked against this run), else none. */
export function loadStored(
  o: Options,
  current: { revision: Revision; machine: MachineInfo },
  progress: (line: string) => void,
): { stored: Report | undefined; forced: string[] } {
  if (!o.resume) {
    // Without --resume, an unfinished file would be overwritten: hours of runs lost.
    if (o.json && !o.plan && existsSync(o.json)) {
      let unfinished = false;
      try {
        const old = JSON.parse(readFileSync(o.json, 'utf8')) as Partial<Report>;
        unfinished = old.complete === false && (old.runs?.length ?? 0) > 0;
      } catch {}
      if (unfinished)
        throw new Error(
          `${o.json} holds unfinished results: continue them with --resume ${o.json}, or move the file away to start over`,
        );
    }
    return { stored: undefined, forced: [] };
  }
  if (!existsSync(o.resume)) {
    progress(`--resume ${o.resume}: no results there yet, starting them`);
    return { stored: undefined, forced: [] };
  }
  const stored = parseStored(readFileSync(o.resume, 'utf8'), o.resume);
  const problems = resumeProblems(stored, { options: o, ...current });
  if (problems.length && !o.resumeForce)
    throw new Error(
      `cannot resume ${o.resume}: its runs were measured differently:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        `Its runs would not be comparable with new ones. Start a new file (--json PATH, or move ${o.resume} away), ` +
        'or pass --resume-force to mix them anyway (the report then says what differed).',
    );
  for (const p of problems) progress(`--resume-force: mixing despite ${p}`);
  return { stored, forced: problems };
}
