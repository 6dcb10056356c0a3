/**
 * The page's files, all served by the dashboard itself (no CDN: it works offline). The script is the page's
 * TypeScript (ui/) bundled by esbuild when the dashboard starts, from the package's own files: the `.ts` sources in
 * a checkout, their compiled `.js` in an installed package (`dist/runtime/dashboard/ui/`), exactly as the app bundler
 * finds the runtime. The bundle is made once per process (about 50 ms) and kept in memory.
 */
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { moduleFile } from '../build/package-paths.js';
import { DASHBOARD_CSS } from './ui/styles.js';

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f4e79"/>\
<path d="M4 12V4l4 5 4-5v8" fill="none" stroke="#fff" stroke-width="1.6"/></svg>`;

/** The page: no data and no inline script, so it is the same for everyone; the script asks the API (with the token). */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>multinode dashboard</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app"><p class="loading">Loading the dashboard…</p><noscript>The dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;

let assets: Promise<ReadonlyMap<string, Asset>> | undefined;

/** The files by path (`/`, `/assets/app.js`, ...), bundled on first use. */
export function dashboardAssets(): Promise<ReadonlyMap<string, Asset>> {
  assets ??= bundle().catch((error: unknown) => {
    assets = undefined;
    throw error;
  });
  return assets;
}

async function bundle(): Promise<ReadonlyMap<string, Asset>> {
  const result = await build({
    entryPoints: [moduleFile('runtime/dashboard/ui/main')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]!.contents;
  return new Map([
    ['/', asset('text/html; charset=utf-8', PAGE)],
    ['/assets/app.js', asset('text/javascript; charset=utf-8', Buffer.from(script))],
    ['/assets/app.css', asset('text/css; charset=utf-8', DASHBOARD_CSS)],
    ['/assets/icon.svg', asset('image/svg+xml', ICON)],
  ]);
}

function asset(type: string, content: string | Buffer): Asset {
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}
