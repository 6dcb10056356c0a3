#!/usr/bin/env node
// Fails when a tracked source file has a line over 160 characters (the formatter cannot break long strings).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 160;
const files = execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.js', '*.mjs', '*.json', '*.css', '*.html'], { encoding: 'utf8' })
  .split('\n')
  .filter((file) => file && !file.endsWith('package-lock.json'));
const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  for (const [index, line] of text.split('\n').entries()) if (line.length > MAX) long.push(`${file}:${index + 1}: ${line.length} characters`);
}
if (long.length > 0) {
  process.stderr.write(`Lines over ${MAX} characters:\n${long.join('\n')}\n`);
  process.exit(1);
}
