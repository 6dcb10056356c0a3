/** `multinode dict`: a dict's entries, listed, read, set and deleted (the control plane's `dict(name)`). */
import { MultinodeError } from '../../lib/errors.js';
import { DICT_LIST_LIMIT } from '../../runtime/control/dicts.js';
import { TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments, parseCount } from '../args.js';
import { UsageError } from '../io.js';
import { operatingCommand } from '../operate.js';
import { oneLine, printJson, table, toJson } from '../output.js';

const ACTIONS = ['list', 'get', 'set', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

type DictRequest =
  | { readonly action: 'dicts' }
  | { readonly action: 'list'; readonly dict: string; readonly prefix?: string; readonly limit: number; readonly cursor?: string }
  | { readonly action: 'get' | 'delete'; readonly dict: string; readonly key: string }
  | { readonly action: 'set'; readonly dict: string; readonly key: string; readonly value: unknown };

export const dictCommand = operatingCommand({
  name: 'dict',
  summary: "list, get, set and delete a dict's entries",
  usage: `Usage: multinode dict [<entry>] <dict> list [--prefix P] [--limit K] [--cursor C]
       multinode dict [<entry>] <dict> get <key>
       multinode dict [<entry>] <dict> set <key> <json>
       multinode dict [<entry>] <dict> delete <key>
       multinode dict [<entry>]                          (the app's dicts)

Reads and writes the entries of the dict <dict> as the app does: values go through the same codec, so
a value set here reads back in the app as the same JavaScript value (JSON values from the command
line). Listing reads the whole table page by page (a Scan; keys in the table's order, not sorted).

${TARGET_USAGE}

Options:
  --prefix P   list: only keys starting with P
  --limit K    list: at most K entries, ${DICT_LIST_LIMIT.min} to ${DICT_LIST_LIMIT.max} (default ${DICT_LIST_LIMIT.default})
  --cursor C   list: continue a listing (the cursor printed after its page)
  --json       print JSON: list { "where", "dict", "items": [{ "key", "value" }], "cursor"? }; get
               { "where", "dict", "key", "value" }; set { "where", "dict", "key", "set": true }; delete
               { "where", "dict", "key", "deleted" }; without <dict> { "where", "dicts" }
  --help       show this help

Exit codes: get of a key that is missing (or expired) exits 1.`,
  options: { prefix: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
  parse(args, flags): DictRequest {
    const [dict, given, ...rest] = args;
    const action = (given ?? 'list') as Action;
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown action "${given}": give one of ${ACTIONS.join(', ')}.`, 'dict');
    if (action !== 'list') {
      const listFlag = (['prefix', 'limit', 'cursor'] as const).find((flag) => flags[flag] !== undefined);
      if (listFlag) throw new UsageError(`--${listFlag} goes with list, not ${action}.`, 'dict');
    }
    if (dict === undefined) return { action: 'dicts' };
    switch (action) {
      case 'list':
        expectArguments('dict', rest, []);
        return {
          action,
          dict,
          ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
          limit: parseCount('dict', 'limit', flags.limit, DICT_LIST_LIMIT.default, DICT_LIST_LIMIT.max),
          ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
        };
      case 'get':
      case 'delete': {
        const [key] = expectArguments('dict', rest, ['key']);
        return { action, dict, key: key! };
      }
      case 'set': {
        const [key, json] = expectArguments('dict', rest, ['key', 'json: the value, as JSON']);
        return { action, dict, key: key!, value: parseValue(json!) };
      }
    }
  },
  async run({ io, plane, target, request, json }) {
    const where = targetJson(target);
    if (request.action === 'dicts') {
      const dicts = plane.dicts();
      if (json) printJson(io, { where, dicts });
      else io.stdout(dicts.length > 0 ? `${dicts.join('\n')}\n` : 'The app has no dicts.\n');
      return 0;
    }
    const dict = plane.dict(request.dict);
    switch (request.action) {
      case 'list': {
        const page = await dict.list({
          limit: request.limit,
          ...(request.prefix ? { prefix: request.prefix } : {}),
          ...(request.cursor ? { cursor: request.cursor } : {}),
        });
        if (json) printJson(io, { where, dict: dict.name, ...page });
        else {
          io.stdout(
            page.items.length > 0
              ? table(
                  ['KEY', 'VALUE'],
                  page.items.map((entry) => [entry.key, oneLine(entry.value, 100)]),
                )
              : `No entries${request.prefix ? ` with the prefix "${request.prefix}"` : ''}.\n`,
          );
          if (page.cursor) io.stderr(`More entries: add --cursor ${page.cursor}\n`);
        }
        return 0;
      }
      case 'get': {
        const value = await dict.get(request.key);
        if (value === undefined) throw new MultinodeError(`The dict ${dict.name} has no key ${JSON.stringify(request.key)} (or it expired).`);
        if (json) printJson(io, { where, dict: dict.name, key: request.key, value });
        else io.stdout(`${toJson(value)}\n`);
        return 0;
      }
      case 'set':
        await dict.set(request.key, request.value);
        if (json) printJson(io, { where, dict: dict.name, key: request.key, set: true });
        else io.stdout(`Set ${JSON.stringify(request.key)} in ${dict.name}.\n`);
        return 0;
      case 'delete': {
        const deleted = await dict.delete(request.key);
        if (json) printJson(io, { where, dict: dict.name, key: request.key, deleted });
        else io.stdout(deleted ? `Deleted ${JSON.stringify(request.key)} from ${dict.name}.\n` : `${dict.name} has no key ${JSON.stringify(request.key)}.\n`);
        return 0;
      }
    }
  },
});

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`<json> must be a JSON value, such as '{"n":1}', '"text"' (a string keeps its quotes) or 42: ${(error as Error).message}.`, 'dict');
  }
}
