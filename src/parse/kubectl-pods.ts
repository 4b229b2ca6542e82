import type { Pod } from '../model/pod.js';

/** The header line of `kubectl get pods [-A] -o wide` (k8s.io/kubectl printers: pod columns). */
export const KUBECTL_PODS_WIDE_HEADER = /^\s*(NAMESPACE\s+)?NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\b/m;

/**
 * `kubectl get pods [-A] -o wide`: columns are located by the header's words, since kubectl's tabwriter
 * left-aligns every cell under its header (k8s.io/cli-runtime printers), and cells may hold spaces
 * (`RESTARTS` = `2 (5m ago)`). Without a NAMESPACE column the pods are in `defaultNamespace` (kubectl's
 * current namespace, `default` unless said). Undefined when the text has no such header.
 */
export function parseKubectlPodsWide(text: string, file: string, defaultNamespace = 'default'): Pod[] | undefined {
  const lines = text.split('\n');
  const headerAt = lines.findIndex((l) => KUBECTL_PODS_WIDE_HEADER.test(l));
  if (headerAt < 0) return undefined;
  const header = lines[headerAt]!;
  const columns = [...header.matchAll(/\S+(?: [A-Z]+)*/g)].map((m) => ({ name: m[0], start: m.index! }));
  const cell = (line: string, name: string): string | undefined => {
    const i = columns.findIndex((c) => c.name === name);
    if (i < 0) return undefined;
    const end = columns[i + 1]?.start ?? line.length;
    return line.slice(columns[i]!.start, end).trim() || undefined;
  };
  const pods: Pod[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const name = cell(line, 'NAME');
    if (!name) continue;
    const ip = cell(line, 'IP');
    pods.push({
      namespace: cell(line, 'NAMESPACE') ?? defaultNamespace,
      name,
      ips: ip && ip !== '<none>' ? [ip] : [],
      foundBy: 'given',
      source: { file, line: i + 1 },
    });
  }
  return pods;
}
