/**
 * Where this copy of the multinode package lives. The bundler points the app's `import "multinode"` at this very
 * copy, so user code and the runtime share one model (one registry, one runtime slot), whether we run from the
 * TypeScript sources (tests, development) or from the compiled `dist/` of an installed package.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const extension = path.extname(here);
/** `<repo>` when running from sources, `<package>/dist` when installed. */
export const PACKAGE_ROOT = path.resolve(path.dirname(here), '..', '..');

/** Absolute path of a module of this package, e.g. `moduleFile('lib/index')`. */
export function moduleFile(withoutExtension: string): string {
  return path.join(PACKAGE_ROOT, `${withoutExtension}${extension}`);
}
