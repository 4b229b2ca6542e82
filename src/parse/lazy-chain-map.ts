import type { Chain } from '../model/ruleset.js';
import type { ChainIndex } from './chain-index.js';

/**
 * A `Map<string, Chain>` whose chains are made lazily: iterating it first makes every chain
 * (`materialize`), so callers see an ordinary Map either way. Subclasses say how lookups and
 * materialisation find the chains.
 */
export abstract class MaterializingChainMap extends Map<string, Chain> {
  /** Makes every chain not made yet, leaving the map complete and in input order. */
  protected abstract materialize(): void;

  /** The underlying Map's entries, without materialising (for subclasses rebuilding the map). */
  protected madeEntries(): MapIterator<[string, Chain]> {
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.materialize();
    return super.keys();
  }

  override values(): MapIterator<Chain> {
    this.materialize();
    return super.values();
  }

  override entries(): MapIterator<[string, Chain]> {
    this.materialize();
    return super.entries();
  }

  override [Symbol.iterator](): MapIterator<[string, Chain]> {
    return this.entries();
  }

  override forEach(callback: (value: Chain, key: string, map: Map<string, Chain>) => void, thisArg?: unknown): void {
    this.materialize();
    super.forEach(callback, thisArg);
  }
}

/**
 * `Table.chains` for a parsed dump: a real `Map<string, Chain>` whose `Chain` objects are made on first access.
 * A 10,000-service dump has ~110k chains and a trace reads a few dozen; making every Chain (with its SourceRef,
 * counters and loader) up front cost more than the whole index pass. Iterating the map makes all of them, in input
 * order, so callers see an ordinary Map either way.
 */
export class LazyChainMap extends MaterializingChainMap {
  /** Indexed chains in input order; undefined once everything is made. Owned: the map takes it over. */
  #pending: Map<string, ChainIndex> | undefined;
  /** Entries set by callers under names that are not indexed. */
  #extra = 0;
  readonly #create: (idx: ChainIndex) => Chain;

  constructor(indexes: Map<string, ChainIndex>, create: (idx: ChainIndex) => Chain) {
    super();
    this.#create = create;
    if (indexes.size > 0) this.#pending = indexes;
  }

  override get(name: string): Chain | undefined {
    const made = super.get(name);
    if (made !== undefined || !this.#pending) return made;
    const idx = this.#pending.get(name);
    if (!idx) return undefined;
    const chain = this.#create(idx);
    super.set(name, chain);
    return chain;
  }

  override has(name: string): boolean {
    return super.has(name) || (this.#pending?.has(name) ?? false);
  }

  override get size(): number {
    return this.#pending ? this.#pending.size + this.#extra : super.size;
  }

  override set(name: string, chain: Chain): this {
    if (this.#pending && !this.#pending.has(name) && !super.has(name)) this.#extra++;
    return super.set(name, chain);
  }

  override delete(name: string): boolean {
    const inPending = this.#pending?.delete(name) ?? false;
    const inMade = super.delete(name);
    if (this.#pending && inMade && !inPending) this.#extra--;
    return inPending || inMade;
  }

  override clear(): void {
    this.#pending = undefined;
    this.#extra = 0;
    super.clear();
  }

  /** Makes every pending chain; rebuilds the map in input order, with chains added by callers at the end. */
  protected override materialize(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.#extra = 0;
    const made = new Map<string, Chain>();
    for (const [k, v] of this.madeEntries()) made.set(k, v);
    super.clear();
    for (const [name, idx] of pending) {
      const chain = made.get(name);
      if (chain !== undefined) made.delete(name);
      super.set(name, chain ?? this.#create(idx));
    }
    for (const [k, v] of made) super.set(k, v);
  }
}
