/**
 * `ip route` output → {@link Route}s, and the kernel's route lookup over them (ip-route(8); iproute2
 * ip/iproute.c `print_route`). Text lines are `[TYPE] PREFIX [key value | flag]…`:
 * ```
 * default via 10.0.0.254 dev eth0 proto dhcp src 10.0.0.1 metric 100
 * 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
 * blackhole 10.244.1.0/26 proto bird
 * local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1
 * 203.0.113.0/24 proto static
 * 	nexthop via 192.168.56.2 dev eth0 weight 1
 * fe80::/64 dev eth0 proto kernel metric 256 pref medium
 * ```
 * (multipath hops on indented `nexthop` lines). `ip -j route` prints an array of
 * `{type?, dst, gateway?, dev?, table?, protocol?, scope?, prefsrc?, metric?, flags, nexthops?, pref?}`.
 * A route without `table` is in `main` (iproute.c prints `table` only for other tables).
 */
import type { Route, RouteNexthop } from '../model/network.js';
import type { Family } from '../model/rule.js';
import type { Diagnostic } from '../model/source.js';
import { parseAddress, parseCidr, type Cidr } from '../model/address.js';
import { forEachLine, parseInteger, ProblemLog, readJsonArray, splitBlanks, type LineParseOptions } from './line-input.js';

/** Options of {@link parseIpRoute}. */
export interface ParseIpRouteOptions extends LineParseOptions {
  /** Family of `default` routes whose line has no address to tell (`default dev wg0`); otherwise the previous route's. */
  family?: Family;
  /**
   * Table of routes whose line does not say: `main` for `ip route` / `ip route show table all`. Give `local`
   * when the capture is `ip route show table local`, which omits `table local` from its lines.
   */
  defaultTable?: string;
}

/** Result of {@link parseIpRoute}. */
export interface ParsedIpRoute {
  routes: Route[];
  format: 'text' | 'json' | 'empty';
  diagnostics: Diagnostic[];
}

/** Route types (rtnetlink(7) `rtm_type`; iproute2 rt_names.c). */
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve']);
/** Attributes followed by one value (ip-route(8) "ip route add" options, and what `show` prints back). */
const VALUED = new Set([
  'via', 'dev', 'table', 'proto', 'scope', 'src', 'metric', 'pref', 'mtu', 'advmss', 'expires', 'error', 'hoplimit',
  'rtt', 'rttvar', 'ssthresh', 'cwnd', 'initcwnd', 'initrwnd', 'realms', 'realm', 'tos', 'dsfield', 'nhid', 'weight',
  'congctl', 'features', 'quickack', 'fastopen_no_cookie', 'reordering', 'window', 'rto_min', 'from', 'ttl-propagate',
]);
/** Route and nexthop flags (iproute.c `print_rt_flags`). */
const FLAGS = new Set(['onlink', 'pervasive', 'dead', 'linkdown', 'unresolved', 'notify', 'offload', 'trap', 'rt_offload', 'rt_trap', 'rt_offload_failed', 'cloned', 'cache']);

/**
 * Parses `ip route`, `ip -6 route`, `ip route show table all` (either family) or `ip -j route …` output.
 * Tolerant unless `strict`; every route keeps its raw text (continuation `nexthop` lines included) and the line
 * it starts on.
 */
export function parseIpRoute(text: string, file: string, options: ParseIpRouteOptions = {}): ParsedIpRoute {
  const log = new ProblemLog(file, options.strict === true);
  const defaultTable = options.defaultTable ?? 'main';
  const json = readJsonArray(text, log, 'route');
  if (json) {
    const routes: Route[] = [];
    let family = options.family;
    for (const e of json) {
      const route = fromJson(e.value, e.raw, e.line, family, defaultTable, log);
      if (route) {
        routes.push(route);
        family = route.family;
      }
    }
    return { routes, format: 'json', diagnostics: log.diagnostics };
  }

  const routes: Route[] = [];
  let current: Route | undefined;
  let family = options.family;
  forEachLine(text, (raw, n) => {
    const line = raw.trim();
    if (line === '') return;
    if (/^\s/.test(raw) || line.startsWith('nexthop ')) {
      if (line.startsWith('nexthop') && current) {
        const hop = readNexthop(splitBlanks(line), 1, n, line, log);
        (current.nexthops ??= []).push(hop);
        current.raw += `\n${raw}`;
      } else if (line.startsWith('nexthop')) log.error(n, '`nexthop` line without the route it belongs to', raw);
      else if (current) readAttributes(current, splitBlanks(line), 0, n, line, log);
      else log.error(n, 'indented line before any route', raw);
      return;
    }
    current = readRouteLine(line, n, family, defaultTable, log);
    if (current) {
      routes.push(current);
      family = current.family;
    }
  });
  return { routes, format: routes.length > 0 ? 'text' : 'empty', diagnostics: log.diagnostics };
}

function readRouteLine(line: string, n: number, family: Family | undefined, defaultTable: string, log: ProblemLog): Route | undefined {
  const words = splitBlanks(line);
  let i = 0;
  let type = 'unicast';
  if (ROUTE_TYPES.has(words[0]!)) type = words[i++]!;
  const destination = words[i++];
  if (destination === undefined) {
    log.error(n, `expected a destination after route type \`${type}\``, line);
    return undefined;
  }
  let destFamily: Family | undefined;
  if (destination !== 'default') {
    const cidr = parseCidr(destination);
    if (!cidr) {
      log.error(n, 'expected a route: `[TYPE] PREFIX|default [via GW] [dev DEV] …` (ip route)', line);
      return undefined;
    }
    destFamily = cidr.family;
  }
  const route: Route = { family: destFamily ?? family ?? 4, table: defaultTable, type, destination, flags: [], raw: line, source: log.at(n) };
  readAttributes(route, words, i, n, line, log);
  if (destFamily === undefined) {
    // `default`: the gateway or source address tells the family when the option did not.
    const hint = route.gateway ?? route.preferredSource ?? route.nexthops?.[0]?.gateway;
    const parsed = hint !== undefined ? parseAddress(hint) : undefined;
    if (parsed) route.family = parsed.family;
  }
  return route;
}

function readAttributes(route: Route, words: string[], start: number, n: number, line: string, log: ProblemLog): void {
  for (let i = start; i < words.length; i++) {
    const key = words[i]!;
    if (key === 'nexthop') {
      // `ip -o route` / older iproute2 put the hops on the route line itself.
      const end = findNextNexthop(words, i + 1);
      (route.nexthops ??= []).push(readNexthop(words.slice(i, end), 1, n, line, log));
      i = end - 1;
      continue;
    }
    if (FLAGS.has(key)) {
      route.flags.push(key);
      continue;
    }
    if (!VALUED.has(key)) {
      // Unknown word: keep it, with its value when one follows that is not itself a keyword.
      const next = words[i + 1];
      const other = next !== undefined && !VALUED.has(next) && !FLAGS.has(next) && /^[\d-]/.test(next) ? `${key} ${words[++i]}` : key;
      (route.otherOptions ??= []).push(other);
      continue;
    }
    let value = words[++i];
    if (value === undefined) {
      log.error(n, `route ${route.destination}: \`${key}\` has no value (truncated line?)`, line);
      return;
    }
    // `via inet6 fe80::1` (an IPv4 route with an IPv6 gateway, RFC 5549) and `mtu lock 1400` carry a qualifier word.
    if ((key === 'via' && (value === 'inet' || value === 'inet6')) || ((key === 'mtu' || key === 'advmss' || key === 'rtt') && value === 'lock')) {
      value = words[++i];
      if (value === undefined) {
        log.error(n, `route ${route.destination}: \`${key}\` has no value (truncated line?)`, line);
        return;
      }
    }
    switch (key) {
      case 'via':
        route.gateway = value;
        break;
      case 'dev':
        route.device = value;
        break;
      case 'table':
        route.table = value;
        break;
      case 'proto':
        route.protocol = value;
        break;
      case 'scope':
        route.scope = value;
        break;
      case 'src':
        route.preferredSource = value;
        break;
      case 'pref':
        route.preference = value;
        break;
      case 'metric': {
        const v = parseInteger(value);
        if (v === undefined) log.error(n, `route ${route.destination}: expected a number after \`metric\``, line);
        else route.metric = v;
        break;
      }
      default:
        (route.otherOptions ??= []).push(`${key} ${value}`);
    }
  }
}

function findNextNexthop(words: string[], from: number): number {
  for (let k = from; k < words.length; k++) if (words[k] === 'nexthop') return k;
  return words.length;
}

/** `nexthop via GW dev DEV weight N [onlink]` (words from `start`, after the `nexthop` keyword). */
function readNexthop(words: string[], start: number, n: number, line: string, log: ProblemLog): RouteNexthop {
  const hop: RouteNexthop = { flags: [] };
  for (let i = start; i < words.length; i++) {
    const key = words[i]!;
    if (FLAGS.has(key)) {
      hop.flags.push(key);
      continue;
    }
    let value = words[i + 1];
    if (key === 'via' && (value === 'inet' || value === 'inet6')) value = words[++i + 1];
    if (value === undefined) {
      log.error(n, `nexthop: \`${key}\` has no value (truncated line?)`, line);
      break;
    }
    i++;
    if (key === 'via') hop.gateway = value;
    else if (key === 'dev') hop.device = value;
    else if (key === 'weight') {
      const v = parseInteger(value);
      if (v === undefined) log.error(n, 'nexthop: expected a number after `weight`', line);
      else hop.weight = v;
    }
  }
  return hop;
}

function fromJson(
  value: unknown,
  raw: string,
  line: number,
  family: Family | undefined,
  defaultTable: string,
  log: ProblemLog,
): Route | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    log.error(line, 'expected a route object in `ip -j route` output', raw);
    return undefined;
  }
  const o = value as Record<string, unknown>;
  if (typeof o.dst !== 'string') {
    log.error(line, 'route object without `dst` (is this `ip -j route` output?)', raw);
    return undefined;
  }
  let destFamily: Family | undefined;
  if (o.dst !== 'default') {
    const cidr = parseCidr(o.dst);
    if (!cidr) {
      log.error(line, `route destination \`${o.dst}\` is not an address or prefix`, raw);
      return undefined;
    }
    destFamily = cidr.family;
  }
  const route: Route = {
    family: destFamily ?? family ?? 4,
    table: typeof o.table === 'string' ? o.table : typeof o.table === 'number' ? String(o.table) : defaultTable,
    type: typeof o.type === 'string' ? o.type : 'unicast',
    destination: o.dst,
    flags: Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [],
    raw,
    source: log.at(line),
  };
  const gateway = jsonGateway(o);
  if (gateway !== undefined) route.gateway = gateway;
  if (typeof o.dev === 'string') route.device = o.dev;
  if (typeof o.protocol === 'string' || typeof o.protocol === 'number') route.protocol = String(o.protocol);
  if (typeof o.scope === 'string' || typeof o.scope === 'number') route.scope = String(o.scope);
  if (typeof o.prefsrc === 'string') route.preferredSource = o.prefsrc;
  if (typeof o.metric === 'number') route.metric = o.metric;
  if (typeof o.pref === 'string') route.preference = o.pref;
  if (Array.isArray(o.nexthops)) {
    route.nexthops = (o.nexthops as unknown[]).map((h) => {
      const hop: RouteNexthop = { flags: [] };
      if (typeof h !== 'object' || h === null) return hop;
      const r = h as Record<string, unknown>;
      const gw = jsonGateway(r);
      if (gw !== undefined) hop.gateway = gw;
      if (typeof r.dev === 'string') hop.device = r.dev;
      if (typeof r.weight === 'number') hop.weight = r.weight;
      if (Array.isArray(r.flags)) hop.flags = r.flags.filter((f): f is string => typeof f === 'string');
      return hop;
    });
  }
  if (destFamily === undefined) {
    const hint = route.gateway ?? route.preferredSource ?? route.nexthops?.[0]?.gateway;
    const parsed = hint !== undefined ? parseAddress(hint) : undefined;
    if (parsed) route.family = parsed.family;
  }
  return route;
}

/** `"gateway": "10.0.0.1"`, or `"via": {"family": "inet6", "host": "fe80::1"}` for a gateway of the other family. */
function jsonGateway(o: Record<string, unknown>): string | undefined {
  if (typeof o.gateway === 'string') return o.gateway;
  const via = o.via as Record<string, unknown> | undefined;
  if (via && typeof via === 'object' && typeof via.host === 'string') return via.host;
  return undefined;
}

/** Options of {@link lookupRoute}. */
export interface LookupRouteOptions {
  /**
   * Tables in policy-rule order. Default: `local`, `main`, `default`, the kernel's default rules
   * (`ip rule`: 0 lookup local, 32766 lookup main, 32767 lookup default; fib_rules.c / ip-rule(8)). Other policy
   * rules (fwmark, source, iif selectors) are not modelled: a node that uses them must pass the tables its rules
   * would consult for this packet, in order.
   */
  tables?: readonly string[];
}

const DEFAULT_TABLE_ORDER = ['local', 'main', 'default'] as const;
const compiledDestinations = new WeakMap<Route, Cidr | null>();

function destinationOf(route: Route): Cidr | undefined {
  let c = compiledDestinations.get(route);
  if (c === undefined) {
    const text = route.destination === 'default' ? (route.family === 6 ? '::/0' : '0.0.0.0/0') : route.destination;
    c = parseCidr(text) ?? null;
    compiledDestinations.set(route, c);
  }
  return c ?? undefined;
}

/**
 * The route the kernel would pick for destination address `dst` (fib_lookup, net/ipv4/fib_rules.c and
 * fib_trie.c; ip6_pol_route for IPv6): tables in rule order, and within a table the longest prefix that
 * contains `dst`, the lowest metric among equal prefixes. A `throw` route ends the search in its table and the
 * next table is tried; `blackhole`, `unreachable` and `prohibit` routes are returned as found (the caller reads
 * `type`). Routes whose nexthops are all `dead` are skipped. TOS and the source address are not considered.
 * Returns undefined when no table has a route (the kernel answers "network unreachable").
 */
export function lookupRoute(routes: readonly Route[], dst: string, options: LookupRouteOptions = {}): Route | undefined {
  const address = parseAddress(dst);
  if (!address) return undefined;
  const tables = options.tables ?? DEFAULT_TABLE_ORDER;
  for (const table of tables) {
    let best: Route | undefined;
    let bestLength = -1;
    for (const route of routes) {
      if (route.table !== table || route.family !== address.family) continue;
      if (isDead(route)) continue;
      const cidr = destinationOf(route);
      if (!cidr || !containsAddress(cidr, address.value)) continue;
      if (
        cidr.prefixLength > bestLength ||
        (cidr.prefixLength === bestLength && (route.metric ?? 0) < (best!.metric ?? 0))
      ) {
        best = route;
        bestLength = cidr.prefixLength;
      }
    }
    if (best && best.type !== 'throw') return best;
  }
  return undefined;
}

function isDead(route: Route): boolean {
  if (route.flags.includes('dead')) return true;
  return route.nexthops !== undefined && route.nexthops.length > 0 && route.nexthops.every((h) => h.flags.includes('dead'));
}

function containsAddress(cidr: Cidr, value: bigint): boolean {
  const bits = cidr.family === 4 ? 32 : 128;
  const shift = BigInt(bits - cidr.prefixLength);
  return value >> shift === cidr.network >> shift;
}
