import { isIP } from 'node:net';

/** RFC 1123 hostname: dot-separated labels of letters, digits and inner hyphens. */
const hostnamePattern =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The reason `host` is neither an IPv4 address nor a hostname, or undefined when it is one. */
export function checkHost(host: string): string | undefined {
  // Dotted digits are meant as an address: '300.1.1.1' must not slip through as a hostname.
  if (/^[\d.]+$/.test(host)) {
    return isIP(host) === 4 ? undefined : `'${host}' is not a valid IPv4 address`;
  }
  return hostnamePattern.test(host)
    ? undefined
    : `'${host}' is not a valid hostname or IPv4 address`;
}

/** The reason `address` cannot be a listener's bind address (an IPv4 or IPv6 literal). */
export function checkBindAddress(address: string): string | undefined {
  return isIP(address) === 0
    ? `'${address}' is not an IP address (a listener binds to an IPv4 or IPv6 literal)`
    : undefined;
}

/**
 * `host:port` → its parts, or the reason it is not one. `ipOnly` (boolean, default false):
 * refuse hostnames, for endpoints: EDS carries IP literals only, and Envoy rejects a whole EDS
 * response (every cluster's endpoints, not just one) over a single hostname.
 */
export function parseHostPort(
  text: string,
  ipOnly = false,
): { host: string; port: number } | string {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return `'${text}' has no port; expected host:port`;
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const hostProblem =
    ipOnly && isIP(host) !== 4
      ? `'${host}' is not an IPv4 address (endpoints are sent over EDS, which takes IP addresses only)`
      : checkHost(host);
  if (hostProblem !== undefined) return `${hostProblem}; expected host:port`;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    return `port '${portText}' in '${text}' is not a port number from 1 to 65535`;
  }
  return { host, port };
}
