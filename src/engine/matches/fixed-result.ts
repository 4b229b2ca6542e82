import { unsupportedOption } from './combine.js';
import type { MatchModule, MatchResult } from './match-module.js';

/**
 * A module whose outcome does not depend on the packet fields knetdbg models: it accepts its known
 * options (anything else is not understood) and always returns `result`.
 */
export function createFixedResultModule(
  name: string,
  options: readonly string[],
  result: MatchResult | ((negated: boolean) => MatchResult),
): MatchModule {
  const known = new Set(options);
  return {
    name,
    compile(match) {
      let negated = false;
      for (const option of match.options) {
        if (!known.has(option.name)) return unsupportedOption(name, option);
        negated ||= option.negated;
      }
      const r = typeof result === 'function' ? result(negated) : result;
      return () => r;
    },
  };
}
