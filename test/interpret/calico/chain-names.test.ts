import { describe, expect, test } from 'vitest';
import {
  CALICO_CHAIN_NAMES,
  classifyCalicoChain,
  lengthLimitedChainName,
  listPolicyIdCandidates,
  matchPolicyChain,
} from '../../../src/interpret/calico/chain-names.js';

describe('classifyCalicoChain', () => {
  test.each([
    ['cali-FORWARD', 'top-level', {}],
    ['cali-PREROUTING', 'top-level', {}],
    ['cali-from-wl-dispatch', 'from-workload-dispatch', {}],
    ['cali-from-wl-dispatch-7', 'from-workload-dispatch', { id: '7' }],
    ['cali-to-wl-dispatch-a', 'to-workload-dispatch', { id: 'a' }],
    ['cali-tw-cali95aa86cbb2a', 'to-workload', { interface: 'cali95aa86cbb2a' }],
    ['cali-fw-cali505cfbeac50', 'from-workload', { interface: 'cali505cfbeac50' }],
    ['cali-pi-_tTE-E7yY40ogArNVgKt', 'policy-inbound', { hashed: true }],
    ['cali-po-_rWDSk9LLgWIl_lpnJE2', 'policy-outbound', { hashed: true }],
    ['cali-pi-allow-icmp', 'policy-inbound', { policyName: 'allow-icmp' }],
    ['cali-pri-kns.default', 'profile-inbound', { profileName: 'kns.default' }],
    ['cali-pro-ksa.default.default', 'profile-outbound', { profileName: 'ksa.default.default' }],
    ['cali-pri-_CVSZITRyIpEmH8AB6H', 'profile-inbound', { hashed: true }],
    ['cali-gi-abcdefghij0123456789', 'policy-group-inbound', { id: 'abcdefghij0123456789' }],
    ['cali-th-eth0', 'to-host-endpoint', { interface: 'eth0' }],
    ['cali-fhfw-eth0', 'from-host-endpoint-forward', { interface: 'eth0' }],
    ['cali-thfw-eth0', 'to-host-endpoint-forward', { interface: 'eth0' }],
    ['cali-from-host-endpoint', 'host-endpoint-dispatch', {}],
    ['cali-wl-to-host', 'workload-to-host', {}],
    ['cali-nat-outgoing', 'nat-outgoing', {}],
    ['cali-fip-dnat', 'floating-ip', {}],
    ['cali-cidr-block', 'cidr-block', {}],
    ['cali-failsafe-in', 'failsafe', {}],
    ['califw-cali95aa86cbb2a', 'legacy', { interface: 'cali95aa86cbb2a' }],
    ['filter-cali-tw-cali95aa86cbb2a', 'to-workload', { interface: 'cali95aa86cbb2a' }],
  ])('%s → %s', (name, kind, extra) => {
    const c = classifyCalicoChain(name);
    expect(c?.kind).toBe(kind);
    expect(c).toMatchObject(extra);
    expect(c?.description.length).toBeGreaterThan(10);
  });

  test.each(['KUBE-SERVICES', 'FORWARD', 'DOCKER', 'calico', 'cali-tw-'])('%s is not a felix chain', (name) => {
    expect(classifyCalicoChain(name)).toBeUndefined();
  });

  test('every registry entry classifies to itself', () => {
    for (const entry of CALICO_CHAIN_NAMES) {
      const name = entry.prefix ? `${entry.name}x` : entry.name;
      expect(classifyCalicoChain(name)?.registered).toBe(entry.name);
    }
  });
});

describe('felix GetLengthLimitedID (calico.md §2.2), against names seen on real nodes', () => {
  test.each([
    ['cali-pi-', 'default/knp.default.allow-db-access', 'cali-pi-_tTE-E7yY40ogArNVgKt'],
    ['cali-pi-', 'default/knp.default.haejun-policy', 'cali-pi-_Eb-vckmN-lr2eREXQcs'],
    ['cali-po-', 'kube-system/knp.default.konnectivity-agent', 'cali-po-_rWDSk9LLgWIl_lpnJE2'],
    ['cali-pi-', 'default/calico-system/knp.default.allow-apiserver', 'cali-pi-_RPHPUh868v26JJg7645'],
    ['cali-pi-', 'knp/team-b/deny-from-other-ns', 'cali-pi-_qA9lGysOzwIsyVf0V23'],
    ['cali-pri-', 'ksa.kube-system.metrics-server', 'cali-pri-_CVSZITRyIpEmH8AB6H'],
    ['cali-pri-', 'ksa.default.default', 'cali-pri-ksa.default.default'],
    ['cali-pi-', 'allow-icmp', 'cali-pi-allow-icmp'],
  ])('%s + %s → %s', (prefix, suffix, expected) => {
    expect(lengthLimitedChainName(prefix, suffix)).toBe(expected);
  });

  test.each([
    ['cali-pi-_tTE-E7yY40ogArNVgKt', { namespace: 'default', name: 'allow-db-access' }, 'default/knp.default.allow-db-access'],
    ['cali-pi-_RPHPUh868v26JJg7645', { namespace: 'calico-system', name: 'allow-apiserver' }, 'default/calico-system/knp.default.allow-apiserver'],
    ['cali-pi-_qA9lGysOzwIsyVf0V23', { namespace: 'team-b', name: 'deny-from-other-ns' }, 'knp/team-b/deny-from-other-ns'],
  ])('%s is recognised from the Kubernetes policy name in every era', (chain, policy, id) => {
    expect(listPolicyIdCandidates(policy).map((c) => c.id)).toContain(id);
    expect(matchPolicyChain(chain, [{ namespace: 'other', name: 'x' }, policy])?.id).toBe(id);
  });

  test('an unrelated policy does not match', () => {
    expect(matchPolicyChain('cali-pi-_tTE-E7yY40ogArNVgKt', [{ namespace: 'default', name: 'allow-web' }])).toBeUndefined();
  });
});
