/*
 * test/README.md names, for each rule of the contract, the test file and test that prove it. This
 * keeps those names true: every file it names exists, and every test or describe title it quotes
 * (after `›`, up to the next `›` or `;`; a trailing `…` stands for the rest of the title) is in
 * that file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const index = readFileSync(join(ROOT, 'test', 'README.md'), 'utf8');

/** Apostrophes as the index writes them: a test title may spell one as \u2019 or ’. */
function plain(text: string): string {
  return text.replace(/\\u2019|’/g, "'");
}

function titlesOf(file: string): string {
  return plain(readFileSync(join(ROOT, file), 'utf8'));
}

/** `path › title › title; path › title` references in the home of one rule. */
function referencesIn(cell: string): Array<{ file: string; titles: string[] }> {
  const references: Array<{ file: string; titles: string[] }> = [];
  for (const match of cell.matchAll(/`((?:test|examples)\/[^`]+\.test\.ts)`([^`]*)/g)) {
    const after = (match[2] as string).split(';')[0] as string;
    const titles = after
      .split('›')
      .slice(1)
      .map((title) =>
        plain(title)
          .replace(/\(…\)/g, '')
          .replace(/[:,]?\s*…\s*$/, '')
          .trim(),
      )
      .filter((title) => title !== '');
    references.push({ file: match[1] as string, titles });
  }
  return references;
}

const references = index
  .split('\n')
  .filter((line) => line.startsWith('- ') && line.includes(' → '))
  .flatMap((line) => referencesIn(line.slice(line.indexOf(' → '))));

it('names test files', () => {
  expect(references.length).toBeGreaterThan(50);
});

it.each(references.map((r) => [r.file, r]))('%s exists and holds the titles quoted for it', (_file, reference) => {
  const { file, titles } = reference as { file: string; titles: string[] };
  expect(existsSync(join(ROOT, file))).toBe(true);
  const text = titlesOf(file);
  // A quoted title may list several tests of one describe, separated by commas.
  const missing = titles.filter((title) => !text.includes(title) && !title.split(', ').every((part) => text.includes(part)));
  expect(missing).toEqual([]);
});
