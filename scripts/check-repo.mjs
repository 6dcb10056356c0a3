#!/usr/bin/env node
// Repository checks the formatter cannot make: no line over 160 characters in source files (long strings stay
// long), and the repository speaks for itself (no paths of a developer's machine, no registry host names, no
// references to documents that are not in the repository).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 160;
const SOURCES = /\.(ts|mts|js|mjs|json|css|html)$/;
const FORBIDDEN = [
  { pattern: /aws-facts/i, why: 'cites a document outside the repository; cite docs/aws-behaviour.md or AWS documentation' },
  { pattern: /\.\.\/shared\/(reference|DESIGN)/, why: 'refers to a folder outside the repository' },
  { pattern: /\/work\/|\/home\/[a-z]+\/|\/Users\/[A-Za-z]+\//, why: 'is a path of a developer machine' },
  { pattern: /registry\.npmjs\.org|registry\.yarnpkg\.com/, why: 'names a package-registry host' },
];
const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' })
  .split('\n')
  .filter((file) => file && !file.endsWith('package-lock.json') && file !== 'scripts/check-repo.mjs');
const problems = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  for (const [index, line] of text.split('\n').entries()) {
    const where = `${file}:${index + 1}`;
    if (SOURCES.test(file) && line.length > MAX) problems.push(`${where}: ${line.length} characters (at most ${MAX})`);
    for (const { pattern, why } of FORBIDDEN) if (pattern.test(line)) problems.push(`${where}: ${why}`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`Repository checks failed:\n${problems.join('\n')}\n`);
  process.exit(1);
}
