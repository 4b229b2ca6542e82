/**
 * The result of `knetdbg collect` as data (the `--json` payload): where the dump went and, per source,
 * whether it was captured.
 */
import type { SourceRecord } from '../model/snapshot.js';
import type { CollectDumpResult, DumpFormat } from './dump-write.js';
import { getSource, type SourceImportance } from './sources.js';

/** One source's outcome: its meta.json record plus a status. */
export interface CollectSourceStatus extends SourceRecord {
  /** `ok`: exit 0; `failed`: ran but failed or timed out; `missing`: the tool is not installed. */
  status: 'ok' | 'failed' | 'missing';
  importance: SourceImportance;
}

/** What `knetdbg collect --json` prints. */
export interface CollectSummary {
  output: string;
  format: DumpFormat;
  hostname?: string;
  kernel?: string;
  capturedAt: string;
  sources: CollectSourceStatus[];
}

/** Builds the summary of a collection. */
export function summarizeCollection(result: CollectDumpResult): CollectSummary {
  const { meta } = result;
  const summary: CollectSummary = {
    output: result.output,
    format: result.format,
    capturedAt: meta.capturedAt,
    sources: meta.sources.map((record) => ({
      ...record,
      status: record.error === 'not found' ? 'missing' : record.error !== undefined || record.exitCode !== 0 ? 'failed' : 'ok',
      importance: getSource(record.id)?.importance ?? 'extra',
    })),
  };
  if (meta.hostname !== undefined) summary.hostname = meta.hostname;
  if (meta.kernel !== undefined) summary.kernel = meta.kernel;
  return summary;
}
