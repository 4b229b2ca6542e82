import type { SourceRef } from './source.js';

/** ipset types kube-proxy and Calico use (ipset(8) "SET TYPES"). Others are kept as written. */
export type IpSetType =
  | 'hash:ip'
  | 'hash:net'
  | 'hash:ip,port'
  | 'hash:ip,port,ip'
  | 'hash:ip,port,net'
  | 'hash:net,port'
  | 'bitmap:port'
  | 'list:set'
  | (string & {});

/** One member line as listed (`10.96.0.1,tcp:443 timeout 30 nomatch comment "x"`). */
export interface IpSetMember {
  /** Comma-separated dimensions as written: `['10.96.0.1', 'tcp:443']`. */
  elements: string[];
  nomatch: boolean;
  timeout?: number;
  comment?: string;
  raw: string;
  source?: SourceRef;
}

/** An ipset with its members, from `ipset list` / `ipset save`. */
export interface IpSet {
  name: string;
  type: IpSetType;
  /** `inet` or `inet6` from the header. */
  family?: 'inet' | 'inet6';
  members: IpSetMember[];
  source?: SourceRef;
}
