import { describe, expect, test } from 'vitest';
import { getKubeComment, parseKubeComment } from '../../../src/interpret/kube-proxy/comments.js';
import { ruleOf } from './build-ruleset.js';

describe('parseKubeComment', () => {
  test.each([
    ['ns1/svc1:p80 cluster IP', 'cluster-ip', 'ns1/svc1:p80'],
    ['default/my-nginx-cluster: cluster IP', 'cluster-ip', 'default/my-nginx-cluster:'],
    ['default/nginx cluster IP', 'cluster-ip', 'default/nginx'],
    ['ns1/svc1:p80 external IP', 'external-ip', 'ns1/svc1:p80'],
    ['ns1/svc1:p80 loadbalancer IP', 'load-balancer-ip', 'ns1/svc1:p80'],
    ['ns1/svc1:p80 -> 10.180.0.1:80', 'endpoint', 'ns1/svc1:p80'],
    ['default/x has no endpoints', 'no-endpoints', 'default/x'],
    ['default/webapp has no local endpoints', 'no-local-endpoints', 'default/webapp'],
    ['Balancing rule 0 for default/webapp', 'balancing', 'default/webapp'],
    ['masquerade traffic for ns1/svc1:p80 external destinations', 'external-masquerade', 'ns1/svc1:p80'],
    ['pod traffic for ns1/svc1:p80 external destinations', 'external-pod', 'ns1/svc1:p80'],
    ['masquerade LOCAL traffic for ns1/svc1:p80 external destinations', 'local-masquerade', 'ns1/svc1:p80'],
    ['masquerade LOCAL traffic for default/webapp LB IP', 'local-masquerade', 'default/webapp'],
    ['route LOCAL traffic for ns1/svc1:p80 external destinations', 'local-route', 'ns1/svc1:p80'],
    ['route LOCAL traffic for default/webapp LB IP to service chain', 'local-route', 'default/webapp'],
    ['other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL', 'firewall-other', 'ns1/svc1:p80'],
    ['ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O', 'firewall-drop', 'ns1/svc1:p80'],
    ['ns1/svc1:p80 health check node port', 'health-check', 'ns1/svc1:p80'],
    ['default/webapp', 'plain', 'default/webapp'],
    ['default/my-nginx-nodeport:', 'plain', 'default/my-nginx-nodeport:'],
    ['Redirect pods trying to reach external loadbalancer VIP to clusterIP', 'xlb-pod-redirect', undefined],
    ['kubernetes service portals', 'static', undefined],
    ['block incoming localnet connections', 'static', undefined],
  ])('%j → %s %s', (text, kind, name) => {
    const c = parseKubeComment(text);
    expect(c?.kind).toBe(kind);
    expect(c?.name).toBe(name);
  });

  test('endpoint and balancing details', () => {
    expect(parseKubeComment('ns1/svc1:p80 -> [fd00::5]:80')?.endpoint).toBe('[fd00::5]:80');
    expect(parseKubeComment('Balancing rule 2 for default/webapp')?.balancingIndex).toBe(2);
  });

  test.each(['cali:abc', 'some random words', 'DEFAULT/Webapp cluster IP'])('%j is not a kube-proxy comment', (text) => {
    expect(parseKubeComment(text)).toBeUndefined();
  });

  test('getKubeComment reads -m comment of a parsed rule', () => {
    const rule = ruleOf('-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-SVC-2CMXP7HKUVJN7L6M');
    expect(getKubeComment(rule)).toMatchObject({ kind: 'cluster-ip', name: 'default/nginx' });
    expect(getKubeComment(ruleOf('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000'))).toBeUndefined();
  });
});
