import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `text` to `file` through a temporary file in the same folder and a rename, creating the
 * folder if needed: a concurrent reader, or one after a crash mid-write, sees the old file or the
 * new one, never half of either. The temporary name carries the pid, so two writers never share it.
 */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
