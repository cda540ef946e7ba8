import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/paths.ts';
import { parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';

describe('examples/', () => {
  it('mesh.yaml is a valid mesh config whose access log goes to meshgraph up’s collector', () => {
    const file = path.join(projectRoot, 'examples/mesh.yaml');
    const result = parseMeshConfig(readFileSync(file, 'utf8'), file);
    expect(result.ok && result.config.accessLog).toEqual({
      host: '127.0.0.1',
      port: 18090,
      logName: 'meshgraph',
    });
  });
});
