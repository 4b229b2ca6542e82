/**
 * kube-proxy interpretation: what kube-proxy's iptables rules mean (services, endpoints, masquerade,
 * drops), for every generation (kube-proxy.md). Consumed by src/interpret/trace-query.ts.
 */
export * from './chain-names.js';
export * from './hash.js';
export * from './service-port-name.js';
export * from './comments.js';
export * from './services.js';
export * from './service-index.js';
export * from './explain.js';
export * from './findings.js';
export * from './assume-standard-chains.js';
