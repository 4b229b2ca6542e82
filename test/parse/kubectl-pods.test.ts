import { describe, expect, test } from 'vitest';
import { parseKubectlPodsWide } from '../../src/parse/kubectl-pods.js';

describe('parseKubectlPodsWide', () => {
  test('kubectl get pods -A -o wide: columns by header, spaces inside cells, <none> IPs', () => {
    const text = [
      'NAMESPACE     NAME                      READY   STATUS    RESTARTS      AGE   IP           NODE       NOMINATED NODE   READINESS GATES',
      'default       db-8d66ff5f7-bp6kf        1/1     Running   2 (5m ago)    5d    10.88.0.26   minikube   <none>           <none>',
      'kube-system   pending-abc               0/1     Pending   0             1m    <none>       <none>     <none>           <none>',
      '',
    ].join('\n');
    const pods = parseKubectlPodsWide(text, 'pods.txt')!;
    expect(pods.map((p) => [p.namespace, p.name, p.ips, p.source?.line])).toEqual([
      ['default', 'db-8d66ff5f7-bp6kf', ['10.88.0.26'], 2],
      ['kube-system', 'pending-abc', [], 3],
    ]);
  });

  test('without a NAMESPACE column the pods are in the given namespace', () => {
    const text = 'NAME   READY   STATUS    RESTARTS   AGE   IP          NODE     NOMINATED NODE   READINESS GATES\nweb-1  1/1     Running   0          1d    10.244.1.5  node-1   <none>           <none>\n';
    expect(parseKubectlPodsWide(text, 'p.txt', 'shop')!.map((p) => `${p.namespace}/${p.name} ${p.ips[0]}`)).toEqual(['shop/web-1 10.244.1.5']);
  });

  test('other text is not a pod list', () => {
    expect(parseKubectlPodsWide('-A KUBE-SERVICES -j ACCEPT\n', 'x')).toBeUndefined();
  });
});
