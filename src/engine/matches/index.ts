import type { Match, Rule } from '../../model/rule.js';
import { addrtypeModule } from './addrtype.js';
import { compileBasicTests } from './basic.js';
import { notUnderstoodResult } from './combine.js';
import { commentModule } from './comment.js';
import { connmarkModule } from './connmark.js';
import { conntrackModule } from './conntrack.js';
import { devgroupModule } from './devgroup.js';
import { dscpModule } from './dscp.js';
import { hashlimitModule } from './hashlimit.js';
import { icmpModule } from './icmp.js';
import { icmp6Module } from './icmp6.js';
import { iprangeModule } from './iprange.js';
import { ipvsModule } from './ipvs.js';
import { lengthModule } from './length.js';
import { limitModule } from './limit.js';
import { markModule } from './mark.js';
import type { MatchModule, MatchTest } from './match-module.js';
import { multiportModule } from './multiport.js';
import { nfacctModule } from './nfacct.js';
import { ownerModule } from './owner.js';
import { physdevModule } from './physdev.js';
import { pkttypeModule } from './pkttype.js';
import { recentModule } from './recent.js';
import { rpfilterModule } from './rpfilter.js';
import { sctpModule } from './sctp.js';
import { setModule } from './set.js';
import { socketModule } from './socket.js';
import { stateModule } from './state.js';
import { statisticModule } from './statistic.js';
import { tcpModule } from './tcp.js';
import { tosModule } from './tos.js';
import { udpModule } from './udp.js';

/**
 * The match registry: module name as written after `-m` → its implementation (STYLE.md 6). A module not
 * here is "not understood".
 */
export const MATCH_MODULES: ReadonlyMap<string, MatchModule> = new Map(
  [
    addrtypeModule, commentModule, connmarkModule, conntrackModule, devgroupModule, dscpModule, hashlimitModule,
    icmpModule, icmp6Module, iprangeModule, ipvsModule, lengthModule, limitModule, markModule, multiportModule,
    nfacctModule, ownerModule, physdevModule, pkttypeModule, recentModule, rpfilterModule, sctpModule, setModule,
    socketModule, stateModule, statisticModule, tcpModule, tosModule, udpModule,
  ].map((m) => [m.name, m]),
);

/** A rule with its tests compiled once (the walker caches it per Rule). */
export interface CompiledRule {
  rule: Rule;
  /** One test per basic option (-p -s -d -i -o -f, in that order), then one per match block, in rule order. */
  tests: MatchTest[];
  /**
   * What could not be compiled: the option text (`-p foo`) or the match block's raw text followed by why
   * (`-m foo --bar (no match module foo)`). Each also has a test returning "not understood".
   */
  notUnderstood: string[];
}

/** Compiles one `-m` block through the registry; anything it cannot read becomes a not-understood test. */
export function compileMatch(match: Match, rule: Rule): { test: MatchTest; error?: string } {
  const module = MATCH_MODULES.get(match.module);
  const compiled = module ? module.compile(match, rule) : { error: `no match module ${match.module}` };
  if (typeof compiled === 'function') return { test: compiled };
  const result = notUnderstoodResult(match.raw);
  return { test: () => result, error: compiled.error };
}

/**
 * Compiles a rule's basic options and match blocks into tests. The kernel checks the basic options first
 * (`ip_packet_match`) and then each match in order (`ipt_do_table`, net/ipv4/netfilter/ip_tables.c); the
 * walker combines the results (false at the first failing test).
 */
export function compileRule(rule: Rule): CompiledRule {
  const basic = compileBasicTests(rule);
  const tests = basic.tests;
  const notUnderstood = basic.notUnderstood;
  for (const match of rule.matches) {
    const { test, error } = compileMatch(match, rule);
    tests.push(test);
    if (error !== undefined) notUnderstood.push(`${match.raw} (${error})`);
  }
  return { rule, tests, notUnderstood };
}
