/**
 * Image resizing with sharp, a native module (its image library is a compiled addon): a function on Lambda makes
 * one thumbnail, and a nightly task with 8 vCPUs (so on AWS Batch) renders a set of them. Nothing here says that
 * sharp is native: the bundler finds it and keeps it out of the bundle, and each deployment target gets sharp
 * installed for its own processor (Lambda: linux-arm64; Batch on Fargate: linux-x64). Locally, both run with the
 * sharp installed on this machine.
 */
import * as mn from 'multinode';
import sharp from 'sharp';

export interface Thumbnail {
  readonly width: number;
  readonly height: number;
  readonly png: Uint8Array;
}

export const thumbnails = mn.dict<Thumbnail>('thumbnails');

/** What a resize reports: the thumbnail's size and where it ran (the platform of the sharp binary that made it). */
export interface ResizeResult {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly platform: string;
}

/** A sample picture (a gradient and a sun), so the example needs no image files. */
export async function samplePicture(width: number, height: number, hue = 210): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">` +
    `<stop offset="0" stop-color="hsl(${hue},70%,35%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},80%,75%)"/></linearGradient></defs>` +
    `<rect width="100%" height="100%" fill="url(#sky)"/>` +
    `<circle cx="${width * 0.7}" cy="${height * 0.35}" r="${Math.min(width, height) * 0.15}" fill="#ffd54f"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Resizes `source` (PNG, JPEG, WebP, ...; default: a 1600 x 1200 sample picture) to `width` and stores it as `name`. */
async function makeThumbnail(name: string, width: number, source?: Uint8Array): Promise<ResizeResult> {
  const input = source ?? (await samplePicture(1600, 1200));
  const { data, info } = await sharp(input).resize({ width }).png().toBuffer({ resolveWithObject: true });
  await thumbnails.set(name, { width: info.width, height: info.height, png: new Uint8Array(data) });
  return { name, width: info.width, height: info.height, bytes: data.length, platform: `${process.platform}-${process.arch}` };
}

/** One thumbnail, on Lambda (1 GiB: sharp decodes whole images in memory). */
export const resize = mn.fn({ memory: '1 GiB', timeout: '1m' }, async (input: { name: string; width: number; source?: Uint8Array }) =>
  makeThumbnail(input.name, input.width, input.source),
);

/** Every night, a set of thumbnails of large pictures: 8 vCPUs, more than Lambda has, so it runs on AWS Batch. */
export const nightlyThumbnails = mn.schedule({ cron: '0 3 * * *', timezone: 'UTC', cpu: 8, memory: '16 GiB', timeout: '1h' }, async (run) => {
  const made: ResizeResult[] = [];
  for (const [index, hue] of [20, 140, 260].entries()) {
    const picture = await samplePicture(4000, 3000, hue);
    made.push(await makeThumbnail(`nightly-${index}`, 320, picture));
  }
  console.log(`${run.name}: ${made.length} thumbnails (${made.map((m) => `${m.width}x${m.height}`).join(', ')}) on ${made[0]!.platform}`);
});
