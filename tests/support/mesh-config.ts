import { expect } from 'vitest';
import { parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';

export const file = 'mesh.yaml';

export const minimal = [
  'listeners:',
  '  - name: l',
  '    port: 10000',
  '    routes:',
  '      - name: r',
  '        cluster: c',
  'clusters:',
  '  - name: c',
  '    endpoints: [127.0.0.1:80]',
];
export function mesh(edits: Record<number, string> = {}): string {
  return `${minimal.map((line, i) => edits[i + 1] ?? line).join('\n')}\n`;
}

export function issues(text: string) {
  const result = parseMeshConfig(text, file);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.errors;
}

/** The single issue `text` must produce. */
export function only(text: string, path: string, line: number, reason: string) {
  expect(issues(text)).toEqual([{ file, path, line, reason }]);
}
