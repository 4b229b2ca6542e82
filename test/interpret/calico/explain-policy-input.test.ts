/**
 * explain-policy's inputs: files recognised by content and parsed by their own parsers, a pod list from
 * kubectl or crictl, and the whole pipeline (policy-report.ts) from texts to an explanation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { assemblePolicyInput, parseKubectlPodsWide, readPodList } from '../../../src/interpret/calico/policy-input.js';
import { buildPolicyExplanation, PolicyUsageError } from '../../../src/interpret/calico/policy-report.js';
import { InputError } from '../../../src/model/source.js';

const RULES = { file: 'samples/calico-frontend-backend-db/iptables-save.rules', text: readFileSync('samples/calico-frontend-backend-db/iptables-save.rules', 'utf8') };
const SETS = { file: 'samples/calico-frontend-backend-db/ipset-list.txt', text: readFileSync('samples/calico-frontend-backend-db/ipset-list.txt', 'utf8') };
const KUBECTL = {
  file: 'pods.txt',
  text: [
    'NAMESPACE   NAME                      READY   STATUS    RESTARTS      AGE   IP           NODE       NOMINATED NODE   READINESS GATES',
    'default     backend-867fd6dff-mjf92   1/1     Running   0             5d    10.88.0.27   minikube   <none>           <none>',
    'default     db-8d66ff5f7-bp6kf        1/1     Running   2 (5d ago)    5d    10.88.0.26   minikube   <none>           <none>',
    'default     frontend-8b474f47-zdqdv   1/1     Running   0             5d    10.88.0.24   minikube   <none>           <none>',
    'default     pending-abc               0/1     Pending   0             1s    <none>       <none>     <none>           <none>',
  ].join('\n'),
};
const ROUTES = { file: 'routes.txt', text: 'default via 192.168.49.1 dev eth0\n10.88.0.26 dev cali95aa86cbb2a scope link\n' };

describe('pod lists', () => {
  test('kubectl get pods -A -o wide: columns by header position, RESTARTS with spaces, <none> IPs', () => {
    const pods = parseKubectlPodsWide(KUBECTL)!;
    expect(pods.map((p) => [p.namespace, p.name, p.ips])).toEqual([
      ['default', 'backend-867fd6dff-mjf92', ['10.88.0.27']],
      ['default', 'db-8d66ff5f7-bp6kf', ['10.88.0.26']],
      ['default', 'frontend-8b474f47-zdqdv', ['10.88.0.24']],
      ['default', 'pending-abc', []],
    ]);
    expect(pods[1]!.source).toEqual({ file: 'pods.txt', line: 3 });
  });

  test('kubectl without -A takes the given namespace', () => {
    const text = 'NAME      READY   STATUS    RESTARTS   AGE   IP            NODE\napi-1     1/1     Running   0          1h    10.244.1.11   w1\n';
    expect(parseKubectlPodsWide({ file: 'p', text }, 'shop')).toEqual([{ namespace: 'shop', name: 'api-1', ips: ['10.244.1.11'], foundBy: 'given', source: { file: 'p', line: 2 } }]);
  });

  test('crictl pods -o json gives names without addresses', () => {
    const text = JSON.stringify({ items: [{ id: 'a'.repeat(64), metadata: { name: 'db-8d66ff5f7-bp6kf', uid: 'u', namespace: 'default', attempt: 0 }, state: 'SANDBOX_READY', createdAt: '1', labels: {}, annotations: {}, runtimeHandler: '' }] }, null, 2);
    expect(readPodList({ file: 'crictl.json', text })!.map((p) => [p.namespace, p.name, p.ips, p.foundBy])).toEqual([['default', 'db-8d66ff5f7-bp6kf', [], 'crictl']]);
  });

  test.each(['hello world', 'NAME STATUS\nx y'])('%j is no pod list', (text) => {
    expect(readPodList({ file: 'x', text })).toBeUndefined();
  });
});

describe('assemblePolicyInput', () => {
  test('each file goes to its parser', () => {
    const input = assemblePolicyInput([SETS, KUBECTL, RULES, ROUTES]);
    expect(input.rules?.file).toBe(RULES.file);
    expect(input.ipsets.map((s) => s.name)).toEqual(['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', 'cali40all-ipam-pools', 'cali40masq-ipam-pools']);
    expect(input.ipsetsGiven).toBe(true);
    expect(input.pods).toHaveLength(4);
    expect(input.routes.map((r) => r.device)).toEqual(['eth0', 'cali95aa86cbb2a']);
  });

  test.each([
    [[SETS], 'no iptables rules among the inputs'],
    [[RULES, { file: 'other.rules', text: readFileSync('samples/calico-tiers/iptables-save.rules', 'utf8') }], 'a second iptables dump'],
    [[RULES, { file: 'notes.txt', text: 'hello\nworld\n' }], 'cannot tell what this file holds'],
  ])('%# throws InputError: %s', (files, message) => {
    expect(() => assemblePolicyInput(files)).toThrow(InputError);
    expect(() => assemblePolicyInput(files)).toThrow(message);
  });
});

describe('buildPolicyExplanation', () => {
  test('rules + ipsets + kubectl pods explain db by prefix, with a peer', () => {
    const r = buildPolicyExplanation([RULES, SETS, KUBECTL], [], { pod: 'db', peer: 'frontend', policies: ['default/allow-db-access'] });
    expect(r.workload?.name).toBe('db-8d66ff5f7-bp6kf');
    expect(r.reach?.[0]).toMatchObject({ direction: 'ingress', answer: 'no' });
    expect(r.summary[0]).toContain('default/knp.default.allow-db-access');
  });

  test('routes alone let the pod be named by address', () => {
    const r = buildPolicyExplanation([RULES, ROUTES], [], { pod: '10.88.0.26' });
    expect(r.workload?.interface).toBe('cali95aa86cbb2a');
    expect(r.missing[0]).toContain('no `ipset list` was given');
  });

  test.each([
    [{ pod: 'db', layout: 'fast' }, '--layout "fast" not understood'],
    [{ pod: 'db', policies: ['a/b/c'] }, '--policy "a/b/c"'],
  ])('bad flags are usage errors: %j', (options, message) => {
    expect(() => buildPolicyExplanation([RULES], [], options)).toThrow(PolicyUsageError);
    expect(() => buildPolicyExplanation([RULES], [], options)).toThrow(message);
  });

  test('a --layout override is used', () => {
    expect(buildPolicyExplanation([RULES], [], { pod: 'cali95aa86cbb2a', layout: '3.0' }).layout).toMatchObject({ era: 'legacy', source: 'override', accept: '0x1000000' });
  });
});
