import { describe, expect, test } from 'vitest';
import { servicePortChainHash } from '../../../src/interpret/kube-proxy/hash.js';
import { loadServiceList } from '../../../src/interpret/kube-proxy/services.js';
import { InputError } from '../../../src/model/source.js';
import { SERVICES_JSON } from './fixtures.js';

describe('loadServiceList', () => {
  const catalog = loadServiceList(SERVICES_JSON, 'svc.json');

  test('reads every port of every Service, skipping nothing that is a Service', () => {
    expect(catalog.ports.map((p) => p.servicePortName)).toEqual([
      'kube-system/kube-dns:dns',
      'kube-system/kube-dns:dns-tcp',
      'kube-system/kube-dns:metrics',
      'default/webapp',
      'default/headless:http',
    ]);
    expect(catalog.skipped).toBe(0);
  });

  test.each([
    // verified vector (kube-proxy.md §2): kube-dns:dns over udp
    ['TCOU7JCQXEZGVUNU', 'kube-system/kube-dns:dns', 'current'],
    // seed 000: default/webapp, unnamed port
    ['2IRACUALRELARSND', 'default/webapp', 'current'],
  ])('hash %s → %s (%s spelling)', (hash, name, form) => {
    const match = catalog.getByHash(hash);
    expect(match?.port.servicePortName).toBe(name);
    expect(match?.form).toBe(form);
  });

  test('the ≤1.18 trailing-colon spelling of an unnamed port is indexed too', () => {
    const match = catalog.getByHash(servicePortChainHash('default/webapp:', 'tcp'));
    expect(match?.form).toBe('legacy-trailing-colon');
    expect(match?.hashedName).toBe('default/webapp:');
    expect(match?.port.name).toBe('webapp');
  });

  test('the same name with another protocol is another chain', () => {
    expect(catalog.getByHash(servicePortChainHash('kube-system/kube-dns:dns', 'tcp'))).toBeUndefined();
  });

  test('fields of a LoadBalancer port', () => {
    const p = catalog.getByName('default/webapp', 'tcp');
    expect(p).toMatchObject({
      namespace: 'default',
      name: 'webapp',
      port: 80,
      protocol: 'tcp',
      nodePort: 30080,
      type: 'LoadBalancer',
      clusterIPs: ['10.111.243.62'],
      loadBalancerIPs: ['203.0.113.10'],
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Cluster',
      headless: false,
    });
    expect(p?.portName).toBeUndefined();
    expect(catalog.getByName('default/webapp:', 'tcp')).toBe(p);
  });

  test('headless services are kept and flagged', () => {
    expect(catalog.getByName('default/headless:http')).toMatchObject({ headless: true, clusterIPs: [] });
  });

  test('protocol defaults to TCP', () => {
    expect(catalog.getByName('default/headless:http')?.protocol).toBe('tcp');
  });

  test('SEP hashes resolve through the endpoint', () => {
    // seed 000: KUBE-SEP-5T4S2ILYSXWY3R2J is default/webapp → 10.244.120.111:80
    expect(catalog.getByEndpointHash('5T4S2ILYSXWY3R2J', '10.244.120.111:80', 'tcp')?.port.servicePortName).toBe('default/webapp');
    expect(catalog.getByEndpointHash('5T4S2ILYSXWY3R2J', '10.244.120.112:80', 'tcp')).toBeUndefined();
  });

  test('a single Service object is accepted', () => {
    const one = loadServiceList(JSON.stringify({ kind: 'Service', metadata: { name: 'nginx', namespace: 'default' }, spec: { clusterIP: '10.96.34.82', ports: [{ port: 80 }] } }), 'one.json');
    expect(one.getByHash('2CMXP7HKUVJN7L6M')?.port.clusterIPs).toEqual(['10.96.34.82']);
  });

  test('non-Service items are counted as skipped', () => {
    const mixed = loadServiceList(JSON.stringify({ kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'p' } }, { kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 1 }] } }] }), 'm.json');
    expect(mixed.skipped).toBe(1);
    expect(mixed.ports[0]?.namespace).toBe('default');
  });
});

describe('loadServiceList errors', () => {
  test.each([
    ['{\n  "kind": "List",\n  "items": [\n    { "a": 1, }\n  ]\n}', 4, /invalid JSON/],
    ['{\n "kind": "List"\n "items": []\n}', 3, /invalid JSON/],
    ['', 0, /empty/],
    ['[1, 2]', 1, /not a JSON object/],
    ['{"kind": "Pod", "metadata": {}}', 1, /kind "Pod"/],
  ])('%j → InputError at line %i', (text, line, message) => {
    let error: unknown;
    try {
      loadServiceList(text, 'bad.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const input = error as InputError;
    expect(input.source).toEqual({ file: 'bad.json', line });
    expect(input.message).toMatch(message);
    expect(input.message).toMatch(/kubectl get svc -A -o json/);
    expect(input.message.startsWith('bad.json')).toBe(true);
  });
});
