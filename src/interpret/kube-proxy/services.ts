import { InputError } from '../../model/source.js';
import { endpointChainHash, servicePortChainHash } from './hash.js';
import { formatLegacyServicePortName, formatServicePortName } from './service-port-name.js';

/** Service `spec.type` (k8s.io/api core/v1 ServiceType). */
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
/** externalTrafficPolicy / internalTrafficPolicy values (core/v1). */
export type TrafficPolicy = 'Cluster' | 'Local';

/** One port of one Service, as kube-proxy sees it: the unit every KUBE-SVC-… chain stands for. */
export interface CatalogServicePort {
  namespace: string;
  name: string;
  /** `spec.ports[].name`; undefined for an unnamed port. */
  portName?: string;
  /** Current (v1.19+) service port name, e.g. `default/nginx` or `kube-system/kube-dns:dns`. */
  servicePortName: string;
  port: number;
  /** Lower case, as hashed: `tcp`, `udp`, `sctp` (defaults to TCP, core/v1). */
  protocol: string;
  /** `spec.clusterIPs` (or `spec.clusterIP`), without `None`. */
  clusterIPs: string[];
  nodePort?: number;
  type?: ServiceType;
  externalIPs: string[];
  /** `status.loadBalancer.ingress[].ip`. */
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  /** True for `clusterIP: None`: kube-proxy writes no rules for headless services. */
  headless: boolean;
}

/** Which spelling of the service port name a hash was computed from. */
export type NameForm = 'current' | 'legacy-trailing-colon';

/** A hash resolved through the catalog. */
export interface CatalogMatch {
  port: CatalogServicePort;
  form: NameForm;
  /** The name as hashed (`ns/name`, `ns/name:port` or `ns/name:`). */
  hashedName: string;
}

/** Services from `kubectl get svc -A -o json`, indexed by kube-proxy chain hash. */
export interface ServiceCatalog {
  file: string;
  ports: CatalogServicePort[];
  /** Items that were not Services, or Services without a name, skipped. */
  skipped: number;
  /** KUBE-SVC/SVL/EXT/FW/XLB hash → service port (both name spellings are indexed). */
  getByHash(hash: string): CatalogMatch | undefined;
  /** Service port by its name as kube-proxy prints it (either spelling) and protocol. */
  getByName(servicePortName: string, protocol?: string): CatalogServicePort | undefined;
  /** KUBE-SEP hash → service port, given the endpoint `ip:port` the SEP DNATs to. */
  getByEndpointHash(hash: string, endpoint: string, protocol?: string): CatalogMatch | undefined;
}

interface JsonObject {
  [key: string]: unknown;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

function asPolicy(value: unknown): TrafficPolicy | undefined {
  return value === 'Local' || value === 'Cluster' ? value : undefined;
}

const EXPECTED = 'expected the JSON of `kubectl get svc -A -o json` (a v1 List of Service) or of one Service';

/** 1-based line of a character offset. */
function lineOf(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseJson(jsonText: string, file: string): unknown {
  try {
    return JSON.parse(jsonText);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 says "… in JSON at position N" (Node 20) or "… (line L column C)" (Node 22+).
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    const position = /at position (\d+)/.exec(message);
    const line = lineColumn ? Number(lineColumn[1]) : position ? lineOf(jsonText, Number(position[1])) : 0;
    const where = lineColumn ? ` (column ${lineColumn[2]})` : '';
    const detail = jsonText.trim() === '' ? 'the file is empty' : `invalid JSON${where}: ${message}`;
    throw new InputError({ file, line }, `${detail}; ${EXPECTED}`, 'capture it with: kubectl get svc -A -o json > services.json');
  }
}

function listServiceObjects(document: unknown, file: string): unknown[] {
  if (!isObject(document)) throw new InputError({ file, line: 1 }, `not a JSON object; ${EXPECTED}`);
  const kind = document['kind'];
  if (kind === 'Service') return [document];
  if ((kind === 'List' || kind === 'ServiceList' || kind === undefined) && Array.isArray(document['items'])) {
    return document['items'] as unknown[];
  }
  throw new InputError(
    { file, line: 1 },
    `JSON object of kind ${typeof kind === 'string' ? JSON.stringify(kind) : '(none)'} without items; ${EXPECTED}`,
  );
}

function readServicePorts(item: unknown): CatalogServicePort[] | undefined {
  if (!isObject(item) || (item['kind'] !== undefined && item['kind'] !== 'Service')) return undefined;
  const metadata = isObject(item['metadata']) ? item['metadata'] : {};
  const spec = isObject(item['spec']) ? item['spec'] : {};
  const status = isObject(item['status']) ? item['status'] : {};
  const name = asString(metadata['name']);
  if (!name) return undefined;
  const namespace = asString(metadata['namespace']) ?? 'default';
  const clusterIPText = asStrings(spec['clusterIPs']);
  const single = asString(spec['clusterIP']);
  if (clusterIPText.length === 0 && single) clusterIPText.push(single);
  const headless = clusterIPText.includes('None');
  const clusterIPs = clusterIPText.filter((ip) => ip !== 'None');
  const type = asString(spec['type']) as ServiceType | undefined;
  const loadBalancer = isObject(status['loadBalancer']) ? status['loadBalancer'] : {};
  const ingress = Array.isArray(loadBalancer['ingress']) ? loadBalancer['ingress'] : [];
  const loadBalancerIPs = ingress.flatMap((i) => (isObject(i) && asString(i['ip']) ? [i['ip'] as string] : []));
  const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
  const out: CatalogServicePort[] = [];
  for (const p of ports) {
    if (!isObject(p) || typeof p['port'] !== 'number') continue;
    const portName = asString(p['name']);
    const protocol = (asString(p['protocol']) ?? 'TCP').toLowerCase();
    const nodePort = typeof p['nodePort'] === 'number' && p['nodePort'] > 0 ? p['nodePort'] : undefined;
    const externalTrafficPolicy = asPolicy(spec['externalTrafficPolicy']);
    const internalTrafficPolicy = asPolicy(spec['internalTrafficPolicy']);
    out.push({
      namespace,
      name,
      ...(portName ? { portName } : {}),
      servicePortName: formatServicePortName(namespace, name, portName),
      port: p['port'],
      protocol,
      clusterIPs,
      ...(nodePort !== undefined ? { nodePort } : {}),
      ...(type ? { type } : {}),
      externalIPs: asStrings(spec['externalIPs']),
      loadBalancerIPs,
      loadBalancerSourceRanges: asStrings(spec['loadBalancerSourceRanges']),
      ...(externalTrafficPolicy ? { externalTrafficPolicy } : {}),
      ...(internalTrafficPolicy ? { internalTrafficPolicy } : {}),
      headless,
    });
  }
  return out;
}

/**
 * Reads `kubectl get svc -A -o json` (a v1 List of Service; one Service is accepted too) and indexes every
 * port by the hashes kube-proxy gives its chains, under both the current `ns/name[:port]` and the ≤1.18
 * `ns/name:` spellings (kube-proxy.md §2). Throws InputError naming the file and line on bad input.
 */
export function loadServiceList(jsonText: string, file: string): ServiceCatalog {
  const document = parseJson(jsonText, file);
  const items = listServiceObjects(document, file);
  const ports: CatalogServicePort[] = [];
  let skipped = 0;
  for (const item of items) {
    const read = readServicePorts(item);
    if (read === undefined) skipped++;
    else ports.push(...read);
  }
  const byHash = new Map<string, CatalogMatch>();
  const byName = new Map<string, CatalogServicePort[]>();
  for (const port of ports) {
    const legacy = formatLegacyServicePortName(port.namespace, port.name, port.portName);
    byHash.set(servicePortChainHash(port.servicePortName, port.protocol), { port, form: 'current', hashedName: port.servicePortName });
    if (legacy !== port.servicePortName) {
      byHash.set(servicePortChainHash(legacy, port.protocol), { port, form: 'legacy-trailing-colon', hashedName: legacy });
    }
    for (const n of new Set([port.servicePortName, legacy])) {
      const list = byName.get(n) ?? [];
      list.push(port);
      byName.set(n, list);
    }
  }
  return {
    file,
    ports,
    skipped,
    getByHash: (hash) => byHash.get(hash),
    getByName(servicePortName, protocol) {
      const list = byName.get(servicePortName);
      if (!list) return undefined;
      return protocol === undefined ? list[0] : list.find((p) => p.protocol === protocol.toLowerCase());
    },
    getByEndpointHash(hash, endpoint, protocol) {
      for (const port of ports) {
        if (protocol !== undefined && port.protocol !== protocol.toLowerCase()) continue;
        const legacy = formatLegacyServicePortName(port.namespace, port.name, port.portName);
        for (const [hashedName, form] of [[port.servicePortName, 'current'], [legacy, 'legacy-trailing-colon']] as const) {
          if (endpointChainHash(hashedName, port.protocol, endpoint) === hash) return { port, form, hashedName };
        }
      }
      return undefined;
    },
  };
}
