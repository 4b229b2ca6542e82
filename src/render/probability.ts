/**
 * Largest denominator tried when naming a share as a fraction. Up to a dozen endpoints `1/n` reads
 * better than a percentage; beyond that the percentage alone is clearer and 1/n values crowd together.
 */
const MAX_DENOMINATOR = 12;

/**
 * How close a share must be to k/n to be called k/n. kube-proxy writes `--probability` with 10 decimals
 * (proxier.go `fmt.Sprintf("%0.10f", …)`) and the kernel rounds it to a 31-bit threshold
 * (xt_statistic.c `prandom_u32() & 0x7FFFFFFF`), so exact thirds land within about 1e-9; 1e-6 is loose
 * enough for that and tight enough not to confuse 1/12 with 1/11.
 */
const FRACTION_TOLERANCE = 1e-6;

/** A share as a percentage with one decimal: `33.3%`. */
export function formatPercent(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

/**
 * The share as a small fraction (`1/3`, `2/3`) when it is within 1e-6 of k/n with n ≤ 12, in lowest
 * terms; undefined for 0, 1 and shares that are not a simple fraction.
 */
export function formatFraction(probability: number): string | undefined {
  if (probability <= FRACTION_TOLERANCE || probability >= 1 - FRACTION_TOLERANCE) return undefined;
  for (let denominator = 2; denominator <= MAX_DENOMINATOR; denominator++) {
    const numerator = Math.round(probability * denominator);
    if (Math.abs(probability - numerator / denominator) <= FRACTION_TOLERANCE) {
      // Smallest denominator first, so the fraction found is already in lowest terms.
      return `${numerator}/${denominator}`;
    }
  }
  return undefined;
}

/** Percentage plus the fraction when there is one: `33.3% (1/3)`, `100.0%`, `12.9%`. */
export function formatProbability(probability: number): string {
  const fraction = formatFraction(probability);
  return fraction === undefined ? formatPercent(probability) : `${formatPercent(probability)} (${fraction})`;
}
