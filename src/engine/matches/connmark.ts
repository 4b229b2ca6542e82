import type { MatchModule } from './match-module.js';
import { compileMarkMatch } from './mark.js';

/** `-m connmark [!] --mark value[/mask]` on the connection's mark (iptables-extensions(8) "connmark"). */
export const connmarkModule: MatchModule = {
  name: 'connmark',
  compile: (match) => compileMarkMatch('connmark', match, (p) => p.ct.mark),
};
