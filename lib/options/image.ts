/**
 * The `image` option: the container image a Batch-placed definition runs on, instead of the public Node.js image.
 * Two forms:
 *  - an image reference, as Docker writes it: `[registry/]repository[:tag][@algorithm:digest]`
 *    (`node:22-slim`, `public.ecr.aws/docker/library/node:22`, `123456789012.dkr.ecr.eu-west-1.amazonaws.com/gpu:1`);
 *  - a folder holding a Dockerfile, relative to the app's folder (where its package.json is): `./images/gpu`. The CDK
 *    builds it at deploy time, which needs Docker on the deploying machine.
 * The image must have `node` (20 or newer) on its PATH and an entrypoint that runs its command (or none): the
 * container's command is `node -e <bootstrap>`, which fetches the app bundle.
 */
import type { OptionContext } from './context.js';

export const IMAGE_FORMS =
  'an image reference ("node:22-slim", "public.ecr.aws/docker/library/node:22", "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>", ' +
  'optionally with "@sha256:<digest>") or a folder holding a Dockerfile, relative to the app\'s folder ("./images/gpu")';

/** What an `image` value names. */
export type ImageSource =
  /** A folder with a Dockerfile, relative to the app's folder; built at deploy. */
  | { readonly type: 'folder'; readonly path: string }
  /** A private Amazon ECR repository: pulled with the job's execution role. */
  | { readonly type: 'ecr'; readonly account: string; readonly region: string; readonly repository: string; readonly tagOrDigest: string }
  /** Any other registry (ECR Public, Docker Hub, ...): pulled anonymously. */
  | { readonly type: 'registry'; readonly reference: string };

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]`. */
const ECR_URI = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(.+))?$/;

const DOMAIN_COMPONENT = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** Docker's limit on a repository name, registry included. */
const MAX_NAME = 255;

export function isImageFolder(value: string): boolean {
  return value.startsWith('./') || value.startsWith('../') || value === '.' || value === '..';
}

/** Why `value` is not a valid image reference, or undefined when it is one. */
export function imageReferenceProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (/\s/.test(value)) return 'it holds a space';
  if (/^[a-z]+:\/\//i.test(value)) return 'an image reference has no scheme (leave out "https://")';
  if (value.startsWith('/')) return 'a folder is written relative to the app\'s folder, starting with "./" or "../"';
  const [withTag = '', digest, ...more] = value.split('@');
  if (more.length > 0) return 'it has more than one "@"';
  if (digest !== undefined && !DIGEST.test(digest)) return `the digest "${digest}" is not <algorithm>:<hex digits> (sha256:<64 hex digits>)`;
  if (digest?.startsWith('sha256:') && digest.length !== 'sha256:'.length + 64) return 'a sha256 digest has 64 hex digits';
  const slash = withTag.lastIndexOf('/');
  const colon = withTag.lastIndexOf(':');
  const name = colon > slash ? withTag.slice(0, colon) : withTag;
  const tag = colon > slash ? withTag.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) {
    return `the tag "${tag}" is not valid (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`;
  }
  if (name === '') return 'it has no repository name';
  if (name.length > MAX_NAME) return `the repository name is longer than ${MAX_NAME} characters`;
  const components = name.split('/');
  // As Docker reads it: the first component is a registry when it has a "." or a ":" or is "localhost".
  const first = components[0]!;
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const [host = '', port] = first.split(':');
    if (!host.split('.').every((part) => DOMAIN_COMPONENT.test(part)) || (port !== undefined && !/^\d{1,5}$/.test(port))) {
      return `the registry "${first}" is not a host name (with an optional :port)`;
    }
    components.shift();
  }
  for (const component of components) {
    if (component === '') return 'it has an empty path component ("//" or a trailing "/")';
    if (/[A-Z]/.test(component)) return `repository names are lowercase ("${component}")`;
    if (!PATH_COMPONENT.test(component)) {
      return `"${component}" is not a valid repository name component (lowercase letters and digits, separated by ".", "_", "__" or "-")`;
    }
  }
  return undefined;
}

/** The normalized `image` option: the reference or folder as given, or null for the default image. */
export function parseImage(ctx: OptionContext, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') ctx.invalid('image', value, IMAGE_FORMS);
  if (isImageFolder(value)) {
    if (/\s$|^\s/.test(value)) ctx.invalid('image', value, `${IMAGE_FORMS} (it starts or ends with a space)`);
    return value;
  }
  const problem = imageReferenceProblem(value);
  if (problem) ctx.invalid('image', value, `${IMAGE_FORMS} (${problem})`);
  return value;
}

/** What a (valid) `image` value names. */
export function imageSource(image: string): ImageSource {
  if (isImageFolder(image)) return { type: 'folder', path: image };
  const ecr = ECR_URI.exec(image);
  if (ecr) {
    const [, account, region, repository, tag, digest] = ecr;
    return { type: 'ecr', account: account!, region: region!, repository: repository!, tagOrDigest: digest ?? tag ?? 'latest' };
  }
  return { type: 'registry', reference: image };
}
