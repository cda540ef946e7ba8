/**
 * One problem found in a mesh config file. `path` is where in the document it sits, written
 * like `clusters[1].endpoints[0]` ('' = the document itself); `line` is 1-based and absent
 * only where there is no source to point at (the file could not be read).
 */
export interface ConfigIssue {
  readonly file: string;
  readonly path: string;
  readonly line?: number;
  readonly reason: string;
}

/** `file:line: path: reason`, the shape editors and terminals turn into a jump-to link. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path === ''
    ? `${where}: ${issue.reason}`
    : `${where}: ${issue.path}: ${issue.reason}`;
}
