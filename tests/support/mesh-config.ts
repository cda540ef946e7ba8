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

/** Line edits for {@link mesh}: one rule broken at a time. */
export const twoClusters = {
  9: '    endpoints: [127.0.0.1:80]\n  - name: d\n    endpoints: [127.0.0.1:81]',
};
export const route = (line: string) => ({ 6: `        cluster: c\n        ${line}` });
export const routeOnly = (line: string) => ({ 6: `        ${line}`, ...twoClusters });
export const cluster = (line: string) => ({ 9: `    endpoints: [127.0.0.1:80]\n    ${line}` });
export const endpoints = (list: string) => ({ 9: `    endpoints: ${list}` });
export const mapping = 'expected a mapping with listeners and clusters';
export const conditions =
  '5xx, gateway-error, reset, reset-before-request, connect-failure, envoy-ratelimited, ' +
  'retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, ' +
  'http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, ' +
  'unavailable';
