/** The job's work, one frame at a time: a little real computation per frame, so progress moves at a visible pace. */
export function renderFrame(frame: number, width: number): number {
  let checksum = 0;
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) checksum = (checksum + ((x * 31 + y * 17 + frame) % 255)) % 1_000_003;
  }
  return checksum;
}
