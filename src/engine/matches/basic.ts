import type { Rule } from '../../model/rule.js';
import type { Negatable } from '../../model/source.js';
import { compileCidr, lookupAddress, type CompiledCidr } from './address-test.js';
import { notUnderstoodResult, unknownResult } from './combine.js';
import { bool, MATCHED, NOT_MATCHED, type MatchResult, type MatchTest } from './match-module.js';
import { decideInterface } from '../interface-facts.js';
import { compileInterfaceName, getPacketProtocolNumber, parseProtocol } from './values.js';

/**
 * The basic options every rule can carry (`-p -s -d -i -o -f`, iptables(8) "PARAMETERS"), checked by the
 * kernel in `ip_packet_match` (net/ipv4/netfilter/ip_tables.c) / `ip6_packet_match` (ip6_tables.c)
 * before any `-m` match.
 */
export interface BasicTests {
  tests: MatchTest[];
  notUnderstood: string[];
}

function optionText(flag: string, option: Negatable<unknown>, value: string): string {
  return `${option.negated ? '! ' : ''}${flag} ${value}`;
}

/** Compiles one test per basic option present on `rule`. */
export function compileBasicTests(rule: Rule): BasicTests {
  const tests: MatchTest[] = [];
  const notUnderstood: string[] = [];
  const fail = (text: string): void => {
    notUnderstood.push(text);
    const result = notUnderstoodResult(text);
    tests.push(() => result);
  };

  if (rule.protocol) {
    const { negated, value } = rule.protocol;
    const proto = parseProtocol(value);
    if (proto === undefined) fail(optionText('-p', rule.protocol, value));
    // Protocol 0 (`-p all`) matches everything, even under `!` (ip_packet_match checks `ipinfo->proto &&`).
    else if (proto === 0) tests.push(() => MATCHED);
    else tests.push((p) => bool((getPacketProtocolNumber(p.protocol) === proto) !== negated));
  }

  for (const [flag, option, pick] of [
    ['-s', rule.sourceAddress, 'src'],
    ['-d', rule.destinationAddress, 'dst'],
  ] as const) {
    if (!option) continue;
    const cidr = compileCidr(option.value);
    if (!cidr) {
      fail(optionText(flag, option, option.value));
      continue;
    }
    const negated = option.negated;
    tests.push((p) => {
      const a = pick === 'src' ? p.src : p.dst;
      return bool(cidrMatches(cidr, a) !== negated);
    });
  }

  for (const [flag, option, pick, label] of [
    ['-i', rule.inInterface, 'in', 'input'],
    ['-o', rule.outInterface, 'out', 'output'],
  ] as const) {
    if (!option) continue;
    const matchesName = compileInterfaceName(option.value);
    const negated = option.negated;
    const text = optionText(flag, option, option.value);
    // `-i +` compares no bytes and matches whatever the interface (even unknown).
    if (option.value === '+') {
      tests.push(() => bool(!negated));
      continue;
    }
    const unknown: MatchResult = {
      kind: 'unknown',
      reason: `${label} interface unknown: ${text}`,
      constraint: { side: pick, pattern: option.value, whenMatched: !negated },
    };
    tests.push((p) => {
      const name = pick === 'in' ? p.inInterface : p.outInterface;
      // '' = no interface (locally generated on OUTPUT, or before routing): compares unequal to any name.
      if (name === undefined) {
        // Earlier forks of this branch may already decide it: one packet, one interface.
        const decided = decideInterface(pick === 'in' ? p.inInterfaceFacts : p.outInterfaceFacts, option.value);
        return decided === undefined ? unknown : bool(decided !== negated);
      }
      return bool(matchesName(name) !== negated);
    });
  }

  if (rule.fragment) {
    // `-f` matches second and later fragments only (iptables(8)); the traced packet is the first packet of
    // a connection, unfragmented or a first fragment, so `-f` is false and `! -f` true (ip_packet_match
    // tests `ip->frag_off & htons(IP_OFFSET)`).
    tests.push(rule.fragment.negated ? () => MATCHED : () => NOT_MATCHED);
  }

  return { tests, notUnderstood };
}

function cidrMatches(cidr: CompiledCidr, address: string): boolean {
  const a = lookupAddress(address);
  return a !== undefined && cidr.contains(a);
}
