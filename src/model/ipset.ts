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
  /** `packets N bytes N` on sets created with `counters`. */
  packets?: number;
  bytes?: number;
  /** `skbmark`, `skbprio`, `skbqueue` on sets created with `skbinfo`, as written (`0x4000/0xffff`, `1:10`, `2`). */
  skbmark?: string;
  skbprio?: string;
  skbqueue?: string;
  /** Options this parser does not know, kept as written in order (`['foo', 'bar 1']`). */
  otherOptions?: string[];
  raw: string;
  source?: SourceRef;
}

/**
 * Creation options of a set: the `Header:` line of `ipset list`, or the options after the type in
 * `ipset save`'s `create` line (ipset(8) "CREATE-OPTIONS"). Flags without values are booleans.
 */
export interface IpSetHeader {
  hashsize?: number;
  maxelem?: number;
  /** Default member timeout in seconds; `0` means members are permanent unless given one. */
  timeout?: number;
  /** Sets created with `counters` / `comment` / `skbinfo` / `forceadd` carry these per member. */
  counters: boolean;
  comment: boolean;
  skbinfo: boolean;
  forceadd: boolean;
  bucketsize?: number;
  /** Hash seed as written (`0x14ba2a47`). */
  initval?: string;
  /** bitmap:* range as written (`0-65535`, `192.168.0.0/16`). */
  range?: string;
  /** list:set capacity. */
  size?: number;
  /** hash:ip/bitmap:ip `netmask`, hash:net* `markmask` as written. */
  netmask?: string;
  markmask?: string;
  /** Options this parser does not know, kept as written. */
  otherOptions?: string[];
  /** The header text as written. */
  raw: string;
}

/** An ipset with its members, from `ipset list` / `ipset save`. */
export interface IpSet {
  name: string;
  type: IpSetType;
  /** `inet` or `inet6` from the header. */
  family?: 'inet' | 'inet6';
  members: IpSetMember[];
  /**
   * True when the listing had no members section (`ipset list -t`, terse): the contents are unknown, not
   * empty. Absent when members were listed (possibly none).
   */
  membersOmitted?: boolean;
  /** Creation options, when the input shows them. */
  header?: IpSetHeader;
  /** `Revision:` (the set type's kernel revision), `ipset list` only. */
  revision?: number;
  /** `Size in memory:` in bytes, `ipset list` only. */
  sizeInMemory?: number;
  /** `References:` (iptables rules and list:set sets using it), `ipset list` only. */
  references?: number;
  /** `Number of entries:` as listed (ipset ≥ 6.38), `ipset list` only. */
  entryCount?: number;
  source?: SourceRef;
}
