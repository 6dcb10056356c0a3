/**
 * The constructs' props read as aws-cdk-lib's do: every member of every exported interface in constructs/ has a doc
 * comment; an optional prop says its `@default`, a required one says it is required. Read from the sources (the
 * Go-native tsc has no compiler API), so a prop added without its docs fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

/** Interfaces the constructs hand out rather than take: their members need a doc comment, not a default. */
const OUTPUTS = new Set(['AppBuild', 'MultinodeService', 'JobNetwork']);

interface Member {
  readonly file: string;
  readonly iface: string;
  readonly name: string;
  readonly optional: boolean;
  readonly doc: string | undefined;
}

/** Members of the exported interfaces of `source`, each with the doc comment right above it. */
function interfaceMembers(file: string, source: string): Member[] {
  const members: Member[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^export interface (\w+)/.exec(lines[i]!);
    if (!header) continue;
    let doc: string[] | undefined;
    let inDoc = false;
    for (i++; i < lines.length && !/^\}/.test(lines[i]!); i++) {
      const line = lines[i]!.trim();
      if (line.startsWith('/**')) {
        inDoc = true;
        doc = [];
      }
      if (inDoc) {
        doc!.push(line);
        if (line.endsWith('*/')) inDoc = false;
        continue;
      }
      const member = /^readonly (\w+)(\??):/.exec(line);
      if (member) {
        members.push({ file, iface: header[1]!, name: member[1]!, optional: member[2] === '?', doc: doc?.join(' ') });
        doc = undefined;
      } else if (line !== '' && !line.startsWith('//')) {
        doc = undefined;
      }
    }
  }
  return members;
}

/** Why a member's docs fall short, or undefined when they do not. */
function docProblem(member: Member): string | undefined {
  const where = `${member.iface}.${member.name} (${member.file})`;
  if (!member.doc) return `${where} has no doc comment`;
  if (OUTPUTS.has(member.iface)) return undefined;
  if (member.optional && !/@default\b/.test(member.doc)) return `${where} is optional but says no @default`;
  if (!member.optional && !/\bRequired\b/.test(member.doc)) return `${where} is required but does not say so`;
  return undefined;
}

describe('doc comments of the constructs props', () => {
  const dir = path.join(REPO, 'constructs');
  const members = readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => interfaceMembers(name, readFileSync(path.join(dir, name), 'utf8')));

  it('finds the props (the reader works)', () => {
    const names = new Set(members.map((m) => `${m.iface}.${m.name}`));
    for (const expected of [
      'MultinodeAppProps.entry',
      'MultinodeAppProps.vpcSubnets',
      'AppFunctionProps.memory',
      'AppServiceProps.timeout',
      'BatchJobProps.gpu',
    ]) {
      expect(names).toContain(expected);
    }
    expect(members.length).toBeGreaterThan(80);
  });

  it('document every member: @default when optional, "Required" when not', () => {
    expect(members.map(docProblem).filter(Boolean)).toEqual([]);
  });

  it('report a prop without docs, an optional prop without @default and a required prop that does not say so', () => {
    const source = [
      'export interface BadProps {',
      '  readonly bare?: string;',
      '  /** Something. */',
      '  readonly noDefault?: number;',
      '  /** Something else. */',
      '  readonly unmarked: number;',
      '  /**',
      '   * Fine.',
      '   *',
      '   * @default 1',
      '   */',
      '  readonly fine?: number;',
      '}',
    ].join('\n');
    expect(interfaceMembers('bad.ts', source).map(docProblem)).toEqual([
      'BadProps.bare (bad.ts) has no doc comment',
      'BadProps.noDefault (bad.ts) is optional but says no @default',
      'BadProps.unmarked (bad.ts) is required but does not say so',
      undefined,
    ]);
  });
});

/** No number-typed duration or size props: those are `Duration` and `Size`. */
describe('durations and sizes of the constructs props', () => {
  it('are Duration and Size, never numbers named in seconds or MB', () => {
    const dir = path.join(REPO, 'constructs');
    const numbered = readdirSync(dir)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) =>
        readFileSync(path.join(dir, name), 'utf8')
          .split('\n')
          .filter((line) => /^\s+readonly \w*(Seconds|Millis|Minutes|MB|MiB|GiB|Bytes)\??:/.test(line))
          .map((line) => `${name}: ${line.trim()}`),
      );
    expect(numbered).toEqual([]);
  });
});
