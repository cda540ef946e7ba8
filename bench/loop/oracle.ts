/**
 * The oracle arm's hands: it takes the cluster away from meshgraph's policy before the run, and
 * moves the faulty endpoint's weight through the xds-server's admin API at the phase edges, so
 * Envoy sees the change within one push, with no statistics or policy interval in between.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { clusterName } from './scenarios.ts';
import type { RunStack } from './stack.ts';

/** The oracle's hand on the xds admin API: the faulty endpoint out (weight 0) or back. */
export async function oracle(stack: RunStack, endpoint: string, out: boolean): Promise<void> {
  const response = await fetch(
    `http://127.0.0.1:${stack.xdsAdminPort}/v1/clusters/${clusterName}/weights`,
    {
      method: out ? 'PUT' : 'DELETE',
      headers: {
        authorization: `Bearer ${stack.token}`,
        ...(out && { 'content-type': 'application/json' }),
      },
      ...(out && { body: JSON.stringify({ weights: { [endpoint]: 0 } }) }),
    },
  );
  if (!response.ok) throw new Error(`oracle: HTTP ${response.status} ${await response.text()}`);
}

/**
 * Takes the oracle's cluster away from meshgraph's policy (mode `off`), so that only the oracle
 * moves its weights. The policy manages the cluster from its first interval on, so this waits
 * for it to be listed; a `meshgraph up` without the policy API (404) has nothing to switch off.
 */
export async function policyOff(stack: RunStack): Promise<void> {
  if (stack.apiPort === undefined) return;
  const base = `http://127.0.0.1:${stack.apiPort}/v1/policy/clusters`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const list = await fetch(base);
    if (list.status === 404) return;
    const body = (await list.json()) as { clusters?: { cluster: string }[] };
    if (body.clusters?.some((c) => c.cluster === clusterName)) break;
    if (Date.now() > deadline) throw new Error(`policy off: '${clusterName}' never managed`);
    await sleep(200);
  }
  const response = await fetch(`${base}/${clusterName}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'off', pins: {} }),
  });
  if (!response.ok) throw new Error(`policy off: HTTP ${response.status} ${await response.text()}`);
}
