/**
 * Regenerates test/fixtures/conformance/*.rules: for each scenario, renders kube-proxy's restore input
 * (kube-proxy-model.ts), loads it with `iptables-nft-restore` (or `ip6tables-nft-restore`) into a scratch
 * network namespace, and writes back what `iptables-nft-save` prints, so every fixture is a real dump in
 * the kernel's canonical form. The same input is also checked with `iptables-legacy-restore --test`.
 * The namespace is deleted after each scenario. Needs root and `ip netns`.
 *
 *   npx tsx test/conformance/generate-fixtures.ts
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETNS_PREFIX, run, runIn } from '../kernel/harness.js';
import { renderKubeProxyRules } from './kube-proxy-model.js';
import { SCENARIOS } from './scenarios.js';

/** Fixed save date, so regenerating gives the same bytes. */
const SAVE_DATE = 'Sat Nov 21 08:50:38 2026';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'fixtures', 'conformance');

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const s of SCENARIOS) {
    const input = renderKubeProxyRules(s.config, s.ports);
    const v6 = s.config.family === 6;
    const ns = `${NETNS_PREFIX}${process.pid}-conformance`;
    await run('ip', ['netns', 'add', ns]);
    try {
      await runIn(ns, v6 ? 'ip6tables-nft-restore' : 'iptables-nft-restore', [], { input });
      await runIn(ns, v6 ? 'ip6tables-legacy-restore' : 'iptables-legacy-restore', ['--test'], { input });
      const saved = await runIn(ns, v6 ? 'ip6tables-nft-save' : 'iptables-nft-save', []);
      const text = saved.stdout.replace(/ on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm, ` on ${SAVE_DATE}`);
      writeFileSync(join(outDir, `${s.fixture}.rules`), text);
      process.stderr.write(`${s.fixture}.rules: ${text.split('\n').length - 1} lines\n`);
    } finally {
      await run('ip', ['netns', 'del', ns], { allowFail: true });
    }
  }
}

await main();
