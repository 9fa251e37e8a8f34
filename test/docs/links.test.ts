/*
 * Every relative link of the README, the guides and the other Markdown files a newcomer reads
 * leads somewhere: the file exists and, for `#anchor`, the target has a heading with that anchor
 * (GitHub's: lower case, punctuation dropped, spaces as hyphens).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FILES = [
  'README.md',
  'test/README.md',
  'examples/notes/README.md',
  'bench/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

function withoutCode(markdown: string): string {
  return markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, '');
}

function anchorsOf(file: string): Set<string> {
  const headings = withoutCode(readFileSync(join(ROOT, file), 'utf8')).match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

const links = FILES.flatMap((file) =>
  [...withoutCode(readFileSync(join(ROOT, file), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] as string)
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => ({ file, target })),
);

it('finds the links', () => {
  expect(links.length).toBeGreaterThan(20);
});

it.each(links)('$file → $target', ({ file, target }) => {
  const [path = '', anchor] = target.split('#');
  const resolved = path === '' ? file : join(dirname(file), path);
  expect(existsSync(join(ROOT, resolved))).toBe(true);
  if (anchor !== undefined) expect([...anchorsOf(resolved)]).toContain(anchor);
});
