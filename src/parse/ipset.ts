/**
 * `ipset list` and `ipset save` (= `ipset list -o save`) text → {@link IpSet}s (ipset(8), ipset 6.x/7.x).
 *
 * `ipset list` prints one block per set:
 * ```
 * Name: KUBE-CLUSTER-IP
 * Type: hash:ip,port
 * Revision: 7
 * Header: family inet hashsize 1024 maxelem 65536 comment bucketsize 12 initval 0x14ba2a47
 * Size in memory: 599
 * References: 0
 * Number of entries: 4
 * Members:
 * 10.96.0.1,tcp:443 comment "default/kubernetes:https"
 * ```
 * blocks separated by a blank line; `ipset list -t` (terse) omits `Members:`. `ipset save` prints
 * `create NAME TYPE OPTIONS` then `add NAME MEMBER OPTIONS` lines (the `ipset restore` syntax). Both forms are
 * read by one line-driven state machine, so a file holding both (a support bundle) parses too.
 */
import type { IpSet, IpSetHeader, IpSetMember } from '../model/ipset.js';
import type { Diagnostic } from '../model/source.js';
import { forEachLine, parseInteger, ProblemLog, type LineParseOptions } from './line-input.js';
import { parseCidr } from '../model/address.js';

/** Result of {@link parseIpsetList}. */
export interface ParsedIpsets {
  sets: IpSet[];
  /** `list` for `Name:` blocks, `save` for `create`/`add` lines, `mixed` when both occur; `empty` for no sets. */
  format: 'list' | 'save' | 'mixed' | 'empty';
  diagnostics: Diagnostic[];
}

/** Creation options that take a value (ipset(8) "CREATE-OPTIONS"); everything else known is a flag. */
const VALUED_HEADER_KEYS = new Set(['family', 'hashsize', 'maxelem', 'timeout', 'bucketsize', 'initval', 'range', 'size', 'netmask', 'markmask']);
const FLAG_HEADER_KEYS = new Set(['counters', 'comment', 'skbinfo', 'forceadd']);
/** Member options that take a value (ipset(8) "ADD-ENTRY OPTIONS" and what `list` prints back). */
const VALUED_MEMBER_KEYS = new Set(['timeout', 'packets', 'bytes', 'comment', 'skbmark', 'skbprio', 'skbqueue']);

/** `create NAME TYPE OPTIONS` / `add NAME MEMBER OPTIONS` (the `ipset restore` syntax `ipset save` prints). */
const SAVE_LINE = /^(create|add)(?:\s+(\S+))?(?:\s+(.*))?$/;
const LIST_FIELD = /^(Name|Type|Revision|Header|Size in memory|References|Number of entries|Members):(?:\s(.*))?$/;

/**
 * Dimensions of a set type: `hash:ip,port,net` → `['ip', 'port', 'net']`, `bitmap:port` → `['port']`,
 * `list:set` → `['set']` (ipset(8) "SET TYPES": the part after the colon names the stored dimensions).
 */
export function listIpsetTypeDimensions(type: string): string[] {
  const colon = type.indexOf(':');
  return colon < 0 ? [] : type.slice(colon + 1).split(',');
}

/**
 * Parses `ipset list`, `ipset list -t`, `ipset save` or `ipset list -o save` output. Tolerant by default: a
 * malformed line becomes a {@link Diagnostic} with its file and line and parsing goes on; `{ strict: true }`
 * throws {@link InputError} instead. Every set and member keeps its raw text and source line.
 */
export function parseIpsetList(text: string, file: string, options: LineParseOptions = {}): ParsedIpsets {
  const log = new ProblemLog(file, options.strict === true);
  const sets: IpSet[] = [];
  const byName = new Map<string, IpSet>();
  let sawList = false;
  let sawSave = false;

  // State of the `ipset list` block being read.
  let block: IpSet | undefined;
  let blockLine = 0;
  let inMembers = false;
  let sawMembersField = false;

  const finishBlock = (endLine: number): void => {
    if (!block) return;
    if (block.type === '') {
      log.error(blockLine, `ipset list block for ${block.name} has no \`Type:\` line`);
      block.type = 'unknown';
    }
    if (!sawMembersField) block.membersOmitted = true;
    else if (block.entryCount !== undefined && block.entryCount !== block.members.length) {
      log.warning(
        endLine,
        `set ${block.name} lists ${block.members.length} member${block.members.length === 1 ? '' : 's'} but \`Number of entries: ${block.entryCount}\` (truncated input?)`,
      );
    }
    block = undefined;
    inMembers = false;
    sawMembersField = false;
  };

  const addSet = (set: IpSet, line: number): void => {
    if (byName.has(set.name)) log.warning(line, `set ${set.name} defined again; keeping both, lookups see the last one`);
    sets.push(set);
    byName.set(set.name, set);
  };

  let lastLine = 0;
  forEachLine(text, (rawLine, n) => {
    lastLine = n;
    const line = rawLine.trim();
    if (line === '') {
      finishBlock(n);
      return;
    }
    if (inMembers && block) {
      // Inside `Members:` every non-blank line is a member until the blank line that ends the block.
      if (LIST_FIELD.test(line) && line.startsWith('Name:')) {
        log.warning(n, `set ${block.name}: a new \`Name:\` block starts without a blank line`);
        finishBlock(n);
      } else {
        block.members.push(parseMember(line, n, block, log));
        return;
      }
    }
    const field = LIST_FIELD.exec(line);
    if (field) {
      sawList = true;
      const [, key, value = ''] = field;
      if (key === 'Name') {
        finishBlock(n);
        if (value === '') {
          log.error(n, 'expected a set name after `Name:`', line);
          return;
        }
        block = { name: value, type: '', members: [], source: log.at(n) };
        blockLine = n;
        addSet(block, n);
        return;
      }
      if (!block) {
        log.error(n, `\`${key}:\` outside a set block: expected \`Name: SETNAME\` first`, line);
        return;
      }
      applyListField(block, key!, value, n, log);
      if (key === 'Members') {
        inMembers = true;
        sawMembersField = true;
      }
      return;
    }
    if (line.startsWith('#')) return;
    const save = SAVE_LINE.exec(line);
    if (save) {
      sawSave = true;
      finishBlock(n);
      const [, verb, name, rest = ''] = save;
      if (verb === 'create') {
        const typeMatch = /^(\S+)\s*(.*)$/.exec(rest);
        if (!name || !typeMatch) {
          log.error(n, 'expected `create SETNAME TYPE [OPTIONS]`', line);
          return;
        }
        const set: IpSet = { name, type: typeMatch[1]!, members: [], source: log.at(n) };
        applyHeader(set, typeMatch[2]!, n, log);
        addSet(set, n);
        return;
      }
      if (!name || rest === '') {
        log.error(n, 'expected `add SETNAME MEMBER [OPTIONS]`', line);
        return;
      }
      const set = byName.get(name);
      if (!set) {
        log.error(n, `\`add\` to set ${name} before any \`create ${name}\` line (truncated or reordered input?)`, line);
        return;
      }
      set.members.push(parseMember(rest, n, set, log));
      return;
    }
    if (/^ipset v\d/.test(line)) {
      // ipset's own error text (stderr captured with the listing), e.g. "ipset v7.17: The set with the given name does not exist".
      log.warning(n, 'ipset reported an error while listing', line);
      return;
    }
    log.error(n, block ? `unexpected line in the block of set ${block.name}: expected \`Field: value\` or \`Members:\`` : 'expected `Name: SETNAME` (ipset list) or `create`/`add` (ipset save)', line);
  });
  finishBlock(lastLine);

  const format = sets.length === 0 ? 'empty' : sawList && sawSave ? 'mixed' : sawSave ? 'save' : 'list';
  return { sets, format, diagnostics: log.diagnostics };
}

function applyListField(set: IpSet, key: string, value: string, n: number, log: ProblemLog): void {
  const number = (): number | undefined => {
    const v = parseInteger(value.trim());
    if (v === undefined) log.error(n, `expected a number after \`${key}:\``, value);
    return v;
  };
  switch (key) {
    case 'Type':
      if (value === '') log.error(n, 'expected a set type after `Type:` (hash:ip, hash:net, bitmap:port …)');
      else set.type = value.trim();
      break;
    case 'Revision': {
      const v = number();
      if (v !== undefined) set.revision = v;
      break;
    }
    case 'Header':
      applyHeader(set, value.trim(), n, log);
      break;
    case 'Size in memory': {
      const v = number();
      if (v !== undefined) set.sizeInMemory = v;
      break;
    }
    case 'References': {
      const v = number();
      if (v !== undefined) set.references = v;
      break;
    }
    case 'Number of entries': {
      const v = number();
      if (v !== undefined) set.entryCount = v;
      break;
    }
    default:
      break;
  }
}

/** bitmap:ip and bitmap:ip,mac store IPv4 only, without a `family` option (ipset(8)). */
function setImplicitFamily(set: IpSet): void {
  if (set.family === undefined && set.type.startsWith('bitmap:ip')) set.family = 'inet';
}

/** Reads the creation options (`Header:` value or what follows the type on a `create` line). */
function applyHeader(set: IpSet, text: string, n: number, log: ProblemLog): void {
  if (text === '') {
    setImplicitFamily(set);
    return;
  }
  const header: IpSetHeader = { counters: false, comment: false, skbinfo: false, forceadd: false, raw: text };
  const words = text.split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const key = words[i]!;
    if (FLAG_HEADER_KEYS.has(key)) {
      header[key as 'counters' | 'comment' | 'skbinfo' | 'forceadd'] = true;
      continue;
    }
    if (VALUED_HEADER_KEYS.has(key)) {
      const value = words[i + 1];
      i++;
      if (value === undefined) {
        log.error(n, `set ${set.name}: header option \`${key}\` has no value`, text);
        break;
      }
      switch (key) {
        case 'family':
          if (value === 'inet' || value === 'inet6') set.family = value;
          else log.error(n, `set ${set.name}: expected \`family inet\` or \`family inet6\``, `family ${value}`);
          break;
        case 'initval':
        case 'range':
        case 'netmask':
        case 'markmask':
          header[key] = value;
          break;
        default: {
          const v = parseInteger(value);
          if (v === undefined) log.error(n, `set ${set.name}: expected a number after header option \`${key}\``, `${key} ${value}`);
          else header[key as 'hashsize' | 'maxelem' | 'timeout' | 'bucketsize' | 'size'] = v;
        }
      }
      continue;
    }
    // Unknown option (a newer ipset): keep it with its value when one follows.
    const next = words[i + 1];
    const other = next !== undefined && /^(\d|0x)/.test(next) ? `${key} ${words[++i]}` : key;
    (header.otherOptions ??= []).push(other);
  }
  set.header = header;
  setImplicitFamily(set);
}

/** Splits a member line into words, keeping a double-quoted comment (which may hold blanks) as one word. */
function splitMemberWords(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return undefined;
      out.push(text.slice(i, close + 1));
      i = close + 1;
      continue;
    }
    const start = i;
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t') i++;
    out.push(text.slice(start, i));
  }
  return out;
}

function parseMember(text: string, n: number, set: IpSet, log: ProblemLog): IpSetMember {
  const words = splitMemberWords(text);
  if (!words) {
    log.error(n, `set ${set.name}: unterminated quoted comment (truncated line?)`, text);
    const element = text.split(/\s+/)[0]!;
    return { elements: element.split(','), nomatch: false, raw: text, source: log.at(n) };
  }
  const member: IpSetMember = { elements: words[0]!.split(','), nomatch: false, raw: text, source: log.at(n) };
  for (let i = 1; i < words.length; i++) {
    const key = words[i]!;
    if (key === 'nomatch') {
      member.nomatch = true;
      continue;
    }
    if (VALUED_MEMBER_KEYS.has(key)) {
      const value = words[++i];
      if (value === undefined) {
        log.error(n, `set ${set.name}: member option \`${key}\` has no value`, text);
        break;
      }
      switch (key) {
        case 'comment':
          member.comment = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
          break;
        case 'skbmark':
        case 'skbprio':
        case 'skbqueue':
          member[key] = value;
          break;
        default: {
          const v = parseInteger(value);
          if (v === undefined) log.error(n, `set ${set.name}: expected a number after \`${key}\``, text);
          else member[key as 'timeout' | 'packets' | 'bytes'] = v;
        }
      }
      continue;
    }
    (member.otherOptions ??= []).push(key);
  }
  checkMemberShape(member, set, n, log);
  return member;
}

/**
 * Checks the member has one element per dimension of the set type and that address dimensions hold
 * addresses. A member that does not fit is kept (the engine then reports the set as not understood rather
 * than silently missing a member) and reported.
 */
function checkMemberShape(member: IpSetMember, set: IpSet, n: number, log: ProblemLog): void {
  const dims = listIpsetTypeDimensions(set.type);
  if (dims.length === 0) return;
  if (member.elements.length !== dims.length) {
    log.error(n, `set ${set.name} (${set.type}) expects ${dims.length} comma-separated element${dims.length === 1 ? '' : 's'} (${dims.join(',')}), member has ${member.elements.length}`, member.raw);
    return;
  }
  for (let i = 0; i < dims.length; i++) {
    const dim = dims[i]!;
    const value = member.elements[i]!;
    if ((dim === 'ip' || dim === 'net') && !isAddressElement(value)) {
      log.error(n, `set ${set.name}: element ${i + 1} should be an ${dim === 'ip' ? 'IP address' : 'address or CIDR'}`, member.raw);
      return;
    }
    if (dim === 'port' && !/^(?:[\w-]+:)?[\w-]+(?:-[\w-]+)?$/.test(value)) {
      log.error(n, `set ${set.name}: element ${i + 1} should be a port (\`443\`, \`tcp:443\`, \`icmp:echo-request\`)`, member.raw);
      return;
    }
  }
}

function isAddressElement(value: string): boolean {
  if (parseCidr(value)) return true;
  // Ranges (`10.0.0.1-10.0.0.9`) are accepted by `ipset add` and may appear in hand-written restore files.
  const dash = value.indexOf('-');
  return dash > 0 && parseCidr(value.slice(0, dash)) !== undefined && parseCidr(value.slice(dash + 1)) !== undefined;
}
