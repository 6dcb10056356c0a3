/**
 * Memory sizes as users write them: `"256 MiB"`, `"16 GiB"`, `"512MiB"`, `"1024 KiB"`, and `"512 MB"`/`"16 GB"`.
 *
 * Decision: MB and GB are read the way AWS writes them (Lambda's "128 MB" and Fargate's "GB" are binary units),
 * so "512 MB" equals "512 MiB". Sizes are normalized to whole MiB, rounded up.
 */

export const MEMORY_FORMS = 'a size such as "256 MiB", "16 GiB" or "512MiB" (units KiB, MiB, GiB; MB and GB are read as MiB and GiB)';

const UNIT_MIB: Record<string, number> = { kib: 1 / 1024, mib: 1, gib: 1024, mb: 1, gb: 1024 };

/** Whole MiB (rounded up) for a memory string, or why it is malformed. */
export function parseMemoryMiB(input: unknown): { mib: number } | { problem: string } {
  if (typeof input === 'number') {
    return { problem: `a bare number has no unit; write "${input} MiB" or "${input} GiB"` };
  }
  if (typeof input !== 'string') return { problem: `expected ${MEMORY_FORMS}` };
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*$/i.exec(input);
  if (!match) return { problem: `expected ${MEMORY_FORMS}` };
  const unit = UNIT_MIB[match[2]!.toLowerCase()];
  if (unit === undefined) return { problem: `"${match[2]}" is not a memory unit; use KiB, MiB or GiB (or MB, GB)` };
  return { mib: Math.ceil(Number(match[1]) * unit) };
}

/** `32768` -> `"32 GiB"`, `1536` -> `"1.5 GiB"`, `256` -> `"256 MiB"`. */
export function formatMiB(mib: number): string {
  if (mib >= 1024 && (mib / 1024) * 10 === Math.round((mib / 1024) * 10)) return `${mib / 1024} GiB`;
  return `${mib} MiB`;
}
