import { existsSync } from 'node:fs';

/**
 * Which runtime the integration tests start real components with:
 * `MESHGRAPH_TEST_RUNTIME=native|containers` forces one; otherwise containers when a Docker engine
 * answers (DOCKER_HOST set or /var/run/docker.sock present and the engine replies), else native.
 */
export async function testRuntime(): Promise<'native' | 'containers'> {
  const forced = process.env.MESHGRAPH_TEST_RUNTIME;
  if (forced === 'native' || forced === 'containers') return forced;
  if (forced)
    throw new Error(`MESHGRAPH_TEST_RUNTIME must be 'native' or 'containers', got '${forced}'`);
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return 'native';
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
    ]);
    return client ? 'containers' : 'native';
  } catch {
    return 'native';
  }
}
