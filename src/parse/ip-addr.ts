/**
 * `ip addr` output → {@link NetInterface}s, in the three forms iproute2 prints (ip-address(8), iproute2
 * ip/ipaddress.c `print_linkinfo` / `print_addrinfo`):
 * - text: `3: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000`
 *   then indented `link/ether … brd … link-netnsid 0`, with `-d` a kind line (`veth`, `vxlan id 4096 …`,
 *   `bridge_slave …`), `inet 10.0.0.1/24 brd … scope global secondary eth0:1` and `valid_lft …` lines;
 * - one line per address (`ip -o addr`): `2: eth0    inet 10.0.0.1/24 … eth0\       valid_lft …`, where `\`
 *   stands for the line breaks of the text form;
 * - JSON (`ip -j [-d] addr`): an array of `{ifindex, ifname, link_index?, link?, flags, mtu, operstate, address,
 *   link_netnsid?, master?, linkinfo?: {info_kind, info_slave_kind}, addr_info: [{family, local, prefixlen, scope,
 *   label, broadcast, secondary, dynamic, …}]}`.
 * The form is detected from the content.
 */
import type { InterfaceAddress, NetInterface } from '../model/network.js';
import type { Diagnostic } from '../model/source.js';
import { parseAddress } from '../model/address.js';
import { forEachLine, parseInteger, ProblemLog, readJsonArray, splitBlanks, type LineParseOptions } from './line-input.js';

/** Result of {@link parseIpAddr}. */
export interface ParsedIpAddr {
  interfaces: NetInterface[];
  /** Which form the text was in. */
  format: 'text' | 'oneline' | 'json' | 'empty';
  diagnostics: Diagnostic[];
}

/** `N: name[@peer]: <FLAGS> rest` (the interface header). */
const HEADER = /^(\d+):\s+([^\s@:]+)(?:@([^\s:]+))?:\s+<([^>]*)>(.*)$/;
/** `N: name    inet …` (an `ip -o addr` line). */
const ONELINE = /^(\d+):\s+([^\s@:]+)(?:@(\S+))?\s+(inet6?|link\/\S+)\s(.*)$/;
/** Address flags iproute2 prints as words (ipaddress.c `ifa_flag_names` and `print_ifa_flags`). */
const ADDRESS_FLAGS = new Set([
  'secondary', 'primary', 'temporary', 'nodad', 'optimistic', 'dadfailed', 'home', 'deprecated', 'tentative',
  'permanent', 'dynamic', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'stable-privacy',
]);
/** Address attributes followed by a value. */
const ADDRESS_VALUED = new Set(['brd', 'scope', 'peer', 'metric', 'proto', 'any', 'label']);
/** Header attributes followed by a value (`mtu 1500 qdisc noqueue master cni0 state UP mode DEFAULT group default qlen 1000`). */
const HEADER_VALUED = new Set(['mtu', 'qdisc', 'master', 'state', 'mode', 'group', 'qlen', 'link-netnsid', 'netns', 'vrf']);
/** Continuation lines that are neither addresses nor the `-d` kind line. */
const SKIPPED_LINES = new Set(['valid_lft', 'altname', 'prop', 'RX:', 'TX:', 'RX', 'TX', 'alias', 'vf', 'cache']);

/**
 * Parses `ip addr`, `ip -d addr`, `ip -o addr` or `ip -j [-d] addr` output (also `ip link` in any of those
 * forms: interfaces without addresses). Tolerant unless `strict`; every interface and address keeps its raw
 * text and line.
 */
export function parseIpAddr(text: string, file: string, options: LineParseOptions = {}): ParsedIpAddr {
  const log = new ProblemLog(file, options.strict === true);
  const json = readJsonArray(text, log, 'interface');
  if (json) return { interfaces: json.map((e) => fromJson(e.value, e.raw, e.line, log)).filter((i) => i !== undefined), format: 'json', diagnostics: log.diagnostics };

  const interfaces: NetInterface[] = [];
  const byIndex = new Map<number, NetInterface>();
  let current: NetInterface | undefined;
  let oneline = false;
  let textForm = false;

  const continuation = (segment: string, raw: string, n: number): void => {
    const line = segment.trim();
    if (line === '') return;
    if (!current) {
      log.error(n, 'expected an interface header (`N: name: <FLAGS> mtu …`) before this line', raw);
      return;
    }
    readContinuation(current, line, n, log);
  };

  forEachLine(text, (raw, n) => {
    if (raw.trim() === '') return;
    // `ip -o` joins an interface's lines with `\`; its segments are read like the indented lines of the text form.
    const segments = raw.includes('\\') ? raw.split('\\') : [raw];
    const first = segments[0]!;
    const header = HEADER.exec(first);
    if (header) {
      textForm = true;
      current = readHeader(header, first, n, log);
      if (current) {
        if (byIndex.has(current.index)) log.warning(n, `interface index ${current.index} appears twice`, raw);
        byIndex.set(current.index, current);
        interfaces.push(current);
      }
    } else {
      const one = ONELINE.exec(first);
      if (one) {
        oneline = true;
        const index = Number(one[1]);
        const name = one[2]!;
        current = byIndex.get(index);
        if (!current || current.name !== name) {
          current = { index, name, flags: [], addresses: [], source: log.at(n) };
          byIndex.set(index, current);
          interfaces.push(current);
        }
        readContinuation(current, `${one[4]} ${one[5]}`, n, log);
      } else if (/^\s/.test(first)) {
        continuation(first, raw, n);
      } else if (/^\d+:/.test(first)) {
        log.error(n, 'garbled interface header: expected `N: name: <FLAGS> mtu …` or `N: name inet …`', raw);
        current = undefined;
        return;
      } else {
        log.error(n, 'not `ip addr` output: expected an interface header or an indented link/inet line', raw);
        return;
      }
    }
    for (let k = 1; k < segments.length; k++) continuation(segments[k]!, raw, n);
  });

  if (interfaces.length === 0 && text.trim() === '') log.warning(0, 'empty `ip addr` capture: no interfaces');
  const format = interfaces.length === 0 ? 'empty' : oneline && !textForm ? 'oneline' : 'text';
  return { interfaces, format, diagnostics: log.diagnostics };
}

function readHeader(m: RegExpExecArray, line: string, n: number, log: ProblemLog): NetInterface | undefined {
  const iface: NetInterface = {
    index: Number(m[1]),
    name: m[2]!,
    flags: m[4] === '' ? [] : m[4]!.split(','),
    addresses: [],
    raw: line,
    source: log.at(n),
  };
  setPeer(iface, m[3]);
  const words = splitBlanks(m[5]!);
  for (let i = 0; i < words.length; i++) {
    const key = words[i]!;
    if (!HEADER_VALUED.has(key)) continue;
    const value = words[++i];
    if (value === undefined) {
      log.error(n, `interface ${iface.name}: \`${key}\` has no value (truncated line?)`, line);
      break;
    }
    switch (key) {
      case 'mtu': {
        const v = parseInteger(value);
        if (v === undefined) log.error(n, `interface ${iface.name}: expected a number after \`mtu\``, line);
        else iface.mtu = v;
        break;
      }
      case 'state':
        iface.state = value;
        break;
      case 'master':
        iface.master = value;
        break;
      default:
        break;
    }
  }
  return iface;
}

/** `@if4` names the peer's ifindex (in another namespace), `@vethpeer0` a peer in this one, `@NONE` none known. */
function setPeer(iface: NetInterface, peer: string | undefined): void {
  if (peer === undefined || peer === 'NONE') return;
  const m = /^if(\d+)$/.exec(peer);
  if (m) iface.linkIndex = Number(m[1]);
  else iface.linkName = peer;
}

function readContinuation(iface: NetInterface, line: string, n: number, log: ProblemLog): void {
  const words = splitBlanks(line);
  const head = words[0]!;
  if (head === 'inet' || head === 'inet6') {
    const address = readAddress(iface, words, line, n, log);
    if (address) iface.addresses.push(address);
    return;
  }
  if (head.startsWith('link/')) {
    if (words[1] !== undefined && /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})+$/.test(words[1]) && head !== 'link/loopback') iface.mac = words[1];
    for (let i = 2; i < words.length; i++) {
      if (words[i] === 'link-netnsid') {
        const v = parseInteger(words[i + 1]);
        if (v === undefined) log.error(n, `interface ${iface.name}: expected a number after \`link-netnsid\``, line);
        else iface.linkNetnsId = v;
        i++;
      } else if (words[i] === 'link-netns' && words[i + 1] !== undefined) {
        iface.linkNetns = words[++i];
      }
    }
    return;
  }
  if (SKIPPED_LINES.has(head) || !/^[a-z][a-z0-9_]*$/.test(head)) return;
  // `ip -d`: the line after link/… starts with the link kind (ip/iplink.c `print_linktype`), then a slave kind.
  if (head.endsWith('_slave')) iface.slaveKind ??= head.slice(0, -'_slave'.length);
  else iface.kind ??= head;
}

function readAddress(iface: NetInterface, words: string[], line: string, n: number, log: ProblemLog): InterfaceAddress | undefined {
  const family = words[0] === 'inet' ? 4 : 6;
  const text = words[1];
  if (text === undefined) {
    log.error(n, `interface ${iface.name}: \`${words[0]}\` without an address (truncated line?)`, line);
    return undefined;
  }
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const parsed = parseAddress(addressText);
  if (!parsed || parsed.family !== family) {
    log.error(n, `interface ${iface.name}: expected an ${family === 4 ? 'IPv4' : 'IPv6'} address after \`${words[0]}\``, line);
    return undefined;
  }
  const bits = family === 4 ? 32 : 128;
  let prefixLength = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    log.error(n, `interface ${iface.name}: bad prefix length in ${text}`, line);
    return undefined;
  }
  const address: InterfaceAddress = { family, address: addressText, prefixLength, raw: line, source: log.at(n) };
  const flags: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    if (ADDRESS_VALUED.has(w) && i + 1 < words.length) {
      const value = words[++i]!;
      if (w === 'brd') address.broadcast = value;
      else if (w === 'scope') address.scope = value;
      else if (w === 'label') address.label = value;
      else if (w === 'peer') {
        // Point-to-point: `inet 10.0.0.1 peer 10.0.0.2/32`, the prefix belongs to the peer (ipaddress.c).
        const ps = value.indexOf('/');
        address.peer = ps < 0 ? value : value.slice(0, ps);
        if (ps >= 0 && slash < 0) prefixLength = Number(value.slice(ps + 1));
      }
      continue;
    }
    if (w === 'secondary') address.secondary = true;
    else if (ADDRESS_FLAGS.has(w)) flags.push(w);
    else if (family === 4 && i === words.length - 1) address.label = w;
    else flags.push(w);
  }
  address.prefixLength = prefixLength;
  if (address.label === iface.name) delete address.label;
  if (flags.length > 0) address.flags = flags;
  return address;
}

/** JSON address keys that are flags when true (ipaddress.c prints each `ifa_flags` bit as a boolean). */
const JSON_ADDRESS_FLAGS = [...ADDRESS_FLAGS].filter((f) => f !== 'secondary');

function fromJson(value: unknown, raw: string, line: number, log: ProblemLog): NetInterface | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    log.error(line, 'expected an interface object in `ip -j addr` output', raw);
    return undefined;
  }
  const o = value as Record<string, unknown>;
  if (typeof o.ifindex !== 'number' || typeof o.ifname !== 'string') {
    log.error(line, 'interface object without `ifindex` and `ifname` (is this `ip -j addr` output?)', raw);
    return undefined;
  }
  const iface: NetInterface = {
    index: o.ifindex,
    name: o.ifname,
    flags: Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [],
    addresses: [],
    raw,
    source: log.at(line),
  };
  if (typeof o.link_index === 'number') iface.linkIndex = o.link_index;
  if (typeof o.link === 'string') iface.linkName = o.link;
  if (typeof o.mtu === 'number') iface.mtu = o.mtu;
  if (typeof o.operstate === 'string') iface.state = o.operstate;
  if (typeof o.address === 'string' && o.link_type !== 'loopback' && o.link_type !== 'none') iface.mac = o.address;
  if (typeof o.link_netnsid === 'number') iface.linkNetnsId = o.link_netnsid;
  if (typeof o.master === 'string') iface.master = o.master;
  const info = o.linkinfo as Record<string, unknown> | undefined;
  if (info && typeof info === 'object') {
    if (typeof info.info_kind === 'string') iface.kind = info.info_kind;
    if (typeof info.info_slave_kind === 'string') iface.slaveKind = info.info_slave_kind;
  }
  if (Array.isArray(o.addr_info)) {
    for (const a of o.addr_info as unknown[]) {
      const address = addressFromJson(iface, a, line, log);
      if (address) iface.addresses.push(address);
    }
  }
  return iface;
}

function addressFromJson(iface: NetInterface, value: unknown, line: number, log: ProblemLog): InterfaceAddress | undefined {
  const raw = JSON.stringify(value);
  if (typeof value !== 'object' || value === null) {
    log.error(line, `interface ${iface.name}: expected an object in addr_info`, raw);
    return undefined;
  }
  const a = value as Record<string, unknown>;
  // `ip -j` also lists link-layer families (`"family": "link"` …) in some versions: only inet/inet6 are addresses.
  if (a.family !== 'inet' && a.family !== 'inet6') return undefined;
  const family = a.family === 'inet' ? 4 : 6;
  const parsed = typeof a.local === 'string' ? parseAddress(a.local) : undefined;
  if (!parsed || parsed.family !== family || typeof a.prefixlen !== 'number') {
    log.error(line, `interface ${iface.name}: addr_info entry without a valid \`local\` and \`prefixlen\``, raw);
    return undefined;
  }
  const address: InterfaceAddress = { family, address: a.local as string, prefixLength: a.prefixlen, raw, source: log.at(line) };
  if (typeof a.scope === 'string') address.scope = a.scope;
  if (typeof a.label === 'string' && a.label !== iface.name) address.label = a.label;
  if (typeof a.broadcast === 'string') address.broadcast = a.broadcast;
  if (typeof a.address === 'string') address.peer = a.address;
  if (a.secondary === true) address.secondary = true;
  const flags = JSON_ADDRESS_FLAGS.filter((f) => a[f] === true);
  if (flags.length > 0) address.flags = flags;
  return address;
}
