import { test } from 'vitest';
import { traceQuery } from '../../../src/interpret/trace-query.js';
import { CLUSTERIP_NGINX, XLB_NO_LOCAL, CURRENT_NO_LOCAL, THREE_ENDPOINTS_OLD, NO_ENDPOINTS } from './fixtures.js';
test('e2e', () => {
  for (const [name, dump, q] of [
    ['nginx', CLUSTERIP_NGINX, { destination: '10.96.34.82', port: 80 }],
    ['xlb', XLB_NO_LOCAL, { destination: '192.168.49.3', port: 30080, src: '192.168.49.100', nodeIps: ['192.168.49.3'] }],
    ['cur', CURRENT_NO_LOCAL, { destination: '192.168.49.3', port: 30080, src: '192.168.49.100', nodeIps: ['192.168.49.3'] }],
    ['three', THREE_ENDPOINTS_OLD, { destination: '10.97.229.148', port: 80, src: '192.168.0.9' }],
    ['none', NO_ENDPOINTS, { destination: '10.96.5.5', port: 80 }],
  ] as const) {
    const r = traceQuery({ text: dump, file: name + '.rules' }, q as any);
    console.log('=== ' + name);
    for (const o of r.outcomes) { console.log(o.probability.toFixed(4), o.verdict, o.destination, o.service, o.endpoint, o.masquerade); for (const s of o.path) console.log('   ', s.table, s.chain, s.rule, '|', s.meaning ?? ''); }
    for (const f of r.findings) console.log('  F', f.severity, f.code, f.message.slice(0, 200));
  }
});
