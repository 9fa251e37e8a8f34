// The auth map as text for a terminal (wrapped at TEXT_MAP_WIDTH) and as a markdown table for a
// README or a pull-request comment; the map itself is built in auth-map.ts.
import type { AuthMap } from './auth-map';

/** The width the text map keeps to: a terminal of 100 columns. */
export const TEXT_MAP_WIDTH = 100;

/** `text` cut at spaces into lines of at most `width` characters; the lines after the first indented. */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)?.[0] ?? '';
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const next = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    if (next.length > width && line.trim() !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  return [...lines, line];
}

/**
 * Warnings said once per kind with a count: a schema with many protected non-null fields would
 * otherwise bury the map under one line each. `--json` keeps every warning.
 */
const WARNING_KINDS: readonly { readonly pattern: RegExp; readonly summary: string }[] = [
  { pattern: / is protected but non-null: /, summary: 'protected but non-null (a denied read nulls the parent too; make them nullable)' },
  { pattern: / requires role \w+, which the Role enum does not have/, summary: 'requiring a role the Role enum does not have' },
  { pattern: / is protected differently in its implementations /, summary: 'of interfaces protected differently in their implementations' },
];

/** One line per kind of warning: how many fields, the first few, and how many more. */
export function summarizeWarnings(warnings: readonly string[]): string[] {
  const lines: string[] = [];
  const unmatched = warnings.filter((w) => !WARNING_KINDS.some((k) => k.pattern.test(w)));
  for (const { pattern, summary } of WARNING_KINDS) {
    const coordinates = warnings.filter((w) => pattern.test(w)).map((w) => w.slice(0, w.indexOf(' ')));
    if (coordinates.length === 0) continue;
    const shown = coordinates.slice(0, 3).join(', ');
    const more = coordinates.length > 3 ? ` and ${coordinates.length - 3} more` : '';
    lines.push(`${coordinates.length} field(s) ${summary}: ${shown}${more}`);
  }
  return [...lines, ...unmatched];
}

/**
 * The map for a terminal of `width` columns: per field, its coordinate and requirement, then who
 * reaches it and where the rule comes from, each wrapped; then open root fields and a summary of
 * the warnings (`--json` has them all).
 */
export function formatAuthMapText(map: AuthMap, width: number = TEXT_MAP_WIDTH): string {
  const lines: string[] = ['FIELD: REQUIRES', '    reachable by … | from …', ''];
  for (const e of map.entries) {
    lines.push(...wrap(`${e.coordinate}: ${e.requires}`, width, '    '));
    lines.push(...wrap(`    reachable by ${e.reachableBy.join(', ') || 'nobody'} | from ${e.from}`, width, '      '));
  }
  if (map.openRootFields.length > 0)
    lines.push('', ...wrap(`Open root fields (no directive): ${map.openRootFields.join(', ')}`, width, '  '));
  if (map.warnings.length > 0) {
    lines.push('', `Warnings (${map.warnings.length}; --json lists each):`);
    for (const summary of summarizeWarnings(map.warnings)) lines.push(...wrap(`- ${summary}`, width, '  '));
  }
  return `${lines.join('\n')}\n`;
}

/** The map as a Markdown table, for docs/protecting-fields.md's generated section. */
export function formatAuthMapMarkdown(map: AuthMap): string {
  const lines = ['| field | requires | from | reachable by |', '| --- | --- | --- | --- |'];
  for (const e of map.entries) lines.push(`| \`${e.coordinate}\` | ${e.requires} | ${e.from} | ${e.reachableBy.join(', ') || 'nobody'} |`);
  if (map.openRootFields.length > 0) lines.push('', `Open root fields: ${map.openRootFields.map((f) => `\`${f}\``).join(', ')}`);
  if (map.warnings.length > 0) lines.push('', 'Warnings:', '', ...map.warnings.map((w) => `- ${w}`));
  return `${lines.join('\n')}\n`;
}
