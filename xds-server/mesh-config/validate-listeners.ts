import { checkBindAddress } from './addresses.ts';
import { type Reader, uniqueNames, type Val } from './reader.ts';
import type { ListenerConfig } from './types.ts';
import { readRoute } from './validate-routes.ts';

const listenerKeys = ['name', 'port', 'address', 'routes'] as const;

/**
 * Every listener entry that is a mapping, in file order. `clusters` are the declared cluster
 * names, for the check that every route sends to one of them.
 */
export function readListeners(
  r: Reader,
  v: Val | undefined,
  clusters: readonly string[],
): ListenerConfig[] {
  const claimListener = uniqueNames(r, 'listener');
  // Route names are global: routing.v1 sets splits by route name alone.
  const claimRoute = uniqueNames(r, 'route');
  const ports = new Map<number, string>();
  const listeners: ListenerConfig[] = [];
  for (const item of r.seq(v, 1, 'listener') ?? []) {
    const fields = r.map(item, listenerKeys);
    if (fields === undefined) continue;
    const nameVal = fields.need('name');
    const name = r.name(nameVal);
    claimListener(name, nameVal);

    const portVal = fields.get('port');
    const port = r.int(portVal, 1, 65535);
    if (portVal !== undefined && port !== undefined) {
      const owner = ports.get(port);
      if (owner !== undefined) {
        r.fail(portVal, `port ${port} is already used by listener '${owner}'`);
      } else {
        ports.set(port, name ?? '');
      }
    }
    const addressVal = fields.get('address');
    const address = r.str(addressVal);
    if (addressVal !== undefined && address !== undefined) {
      const problem = checkBindAddress(address);
      if (problem !== undefined) r.fail(addressVal, problem);
      // Without a port the listener is an API listener: nothing binds, so an address would
      // silently mean nothing.
      else if (portVal === undefined) {
        r.fail(addressVal, `address needs a port (a listener without one is an API listener)`);
      }
    }

    const routes = (r.seq(fields.need('routes'), 1, 'route') ?? []).flatMap((routeVal) => {
      const route = readRoute(r, routeVal, clusters);
      claimRoute(route?.name, route?.nameVal);
      return route === undefined ? [] : [route.config];
    });
    listeners.push({
      name: name ?? '',
      ...(port !== undefined && { port }),
      address: address ?? '127.0.0.1',
      routes,
    });
  }
  return listeners;
}
