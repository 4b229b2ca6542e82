/**
 * What a branch knows about an interface whose name is unknown: the `-i`/`-o` patterns (iptables form: a name,
 * or a prefix ending in `+`) it has been found to match or not to match. The walk forks on the first unknown
 * test and records the answer on each side, so later tests of the same interface agree with it: one packet
 * has one input interface.
 */
export interface InterfaceFacts {
  matches: string[];
  notMatches: string[];
}

function isPrefix(pattern: string): boolean {
  return pattern.endsWith('+');
}

function stem(pattern: string): string {
  return isPrefix(pattern) ? pattern.slice(0, -1) : pattern;
}

/** Does a name (or every name with a prefix) satisfy `pattern`? For exact names only. */
function nameMatches(name: string, pattern: string): boolean {
  return isPrefix(pattern) ? name.startsWith(stem(pattern)) : name === pattern;
}

/**
 * Whether the unknown interface matches `pattern`, as far as `facts` decide it; undefined when they do not.
 * Interface matching: xt `ifname_compare` compares the name up to the pattern's length (`+` = prefix).
 */
export function decideInterface(facts: InterfaceFacts | undefined, pattern: string): boolean | undefined {
  if (!facts) return undefined;
  const exact = facts.matches.find((m) => !isPrefix(m));
  if (exact !== undefined) return nameMatches(exact, pattern);
  if (facts.matches.includes(pattern)) return true;
  if (facts.notMatches.includes(pattern)) return false;
  const s = stem(pattern);
  if (isPrefix(pattern)) {
    for (const m of facts.matches) {
      const p = stem(m);
      // The name starts with p; it starts with s if p extends s, and cannot if they diverge.
      if (p.startsWith(s)) return true;
      if (!s.startsWith(p)) return false;
    }
    // The name does not start with q: it cannot start with s if s extends q.
    for (const q of facts.notMatches) if (isPrefix(q) && s.startsWith(stem(q))) return false;
    return undefined;
  }
  // Exact pattern: the name must equal s.
  for (const m of facts.matches) if (!s.startsWith(stem(m))) return false;
  for (const q of facts.notMatches) if (nameMatches(s, q)) return false;
  return undefined;
}

/** Records that the interface does (or does not) match `pattern`. */
export function addInterfaceFact(facts: InterfaceFacts | undefined, pattern: string, matched: boolean): InterfaceFacts {
  const next: InterfaceFacts = { matches: [...(facts?.matches ?? [])], notMatches: [...(facts?.notMatches ?? [])] };
  (matched ? next.matches : next.notMatches).push(pattern);
  return next;
}

/** A short statement of the facts, for labels: `cali505cfbeac50`, `cali+ (not cali2b1490aa46a)`. */
export function describeInterfaceFacts(facts: InterfaceFacts | undefined): string | undefined {
  if (!facts || (facts.matches.length === 0 && facts.notMatches.length === 0)) return undefined;
  const exact = facts.matches.find((m) => !isPrefix(m));
  if (exact) return exact;
  const parts = [...facts.matches];
  if (facts.notMatches.length > 0) parts.push(`not ${facts.notMatches.join(', not ')}`);
  return parts.join(', ');
}
