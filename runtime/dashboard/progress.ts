/**
 * How a job's progress reads as a bar. A job's progress is whatever its handler yielded last; when that is an object
 * with a numeric `percent` (0 to 100), or a count and a total (`done`/`of`, `frame`/`of`, `completed`/`total`, ...),
 * it is a bar; anything else is shown as it is (its JSON). Shared by the server and the page.
 */

/** Field names read as "how many are done" and "out of how many", in the order they are tried. */
const COUNTS = ['done', 'completed', 'processed', 'current', 'step', 'frame', 'count', 'n'] as const;
const TOTALS = ['of', 'total', 'outOf', 'steps', 'max'] as const;

export interface ProgressBar {
  /** 0 to 100. */
  readonly percent: number;
  /** `42%`, `42% (21 of 50)`. */
  readonly label: string;
}

/** The bar of a progress value, or undefined when it has no percent nor a count of a total. */
export function progressBar(progress: unknown): ProgressBar | undefined {
  if (typeof progress !== 'object' || progress === null || Array.isArray(progress)) return undefined;
  const fields = progress as Record<string, unknown>;
  const count = COUNTS.map((key) => fields[key]).find(isFiniteNumber);
  const total = TOTALS.map((key) => fields[key]).find(isFiniteNumber);
  const counted = count !== undefined && total !== undefined && total > 0 ? ` (${count} of ${total})` : '';
  if (isFiniteNumber(fields.percent) && fields.percent >= 0 && fields.percent <= 100) {
    return { percent: fields.percent, label: `${formatPercent(fields.percent)}${counted}` };
  }
  if (count !== undefined && total !== undefined && total > 0) {
    const percent = Math.min(100, Math.max(0, (100 * count) / total));
    return { percent, label: `${formatPercent(percent)}${counted}` };
  }
  return undefined;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}
