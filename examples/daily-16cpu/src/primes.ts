/** The heavy part of the daily task: count primes below `limit` with a segmented sieve (CPU-bound, bounded memory). */
export function countPrimesBelow(limit: number): number {
  if (limit <= 2) return 0;
  const root = Math.floor(Math.sqrt(limit));
  const small = new Uint8Array(root + 1);
  const basePrimes: number[] = [];
  for (let i = 2; i <= root; i++) {
    if (small[i]) continue;
    basePrimes.push(i);
    for (let j = i * i; j <= root; j += i) small[j] = 1;
  }
  const segmentSize = Math.max(root, 1 << 16);
  const segment = new Uint8Array(segmentSize);
  let count = 0;
  for (let low = 2; low < limit; low += segmentSize) {
    const high = Math.min(low + segmentSize, limit);
    segment.fill(0);
    for (const p of basePrimes) {
      const start = Math.max(p * p, Math.ceil(low / p) * p);
      for (let j = start; j < high; j += p) segment[j - low] = 1;
    }
    for (let i = low; i < high; i++) if (!segment[i - low]) count++;
  }
  return count;
}
