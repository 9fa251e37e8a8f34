// The fenced code blocks of a Markdown file, and what their info strings ask for. The conventions
// are written down for authors in docs/README.md, "The code blocks here run".
import ts from 'typescript';

export interface CodeBlock {
  /** The file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The first word of the info string: `ts`, `sh`, `json`, … */
  readonly lang: string;
  /** The other words of the info string (`server`, `test`, `output`, …); empty for a `no-run` block. */
  readonly attributes: readonly string[];
  /** Set when the info string says `no-run: <reason>`. */
  readonly noRun: string | undefined;
  /** The code, without the fences and without the indentation of the fence. */
  readonly code: string;
}

const FENCE = /^(\s*)```(.*)$/;

/** Every fenced block of `markdown`, in order. An unclosed fence is an error. */
export function codeBlocksOf(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index] as string);
    if (open === null) continue;
    const indent = (open[1] as string).length;
    const info = (open[2] as string).trim();
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] as string)) body.push((lines[end++] as string).slice(indent));
    if (end === lines.length) throw new Error(`${file}:${index + 1}: a code block that is never closed`);
    const [lang = '', ...rest] = info.split(/\s+/);
    const noRunAt = info.indexOf('no-run:');
    blocks.push({
      file,
      line: index + 1,
      lang,
      attributes: noRunAt === -1 ? rest : [],
      noRun: noRunAt === -1 ? undefined : info.slice(noRunAt + 'no-run:'.length).trim(),
      code: `${body.join('\n')}\n`,
    });
    index = end;
  }
  return blocks;
}

/** The TypeScript parser's syntax errors in `code`, as text (empty when it parses). */
export function typeScriptSyntaxErrors(code: string): string[] {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics: readonly ts.Diagnostic[] }).parseDiagnostics;
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/**
 * A block written as a script (imports, then statements, top-level `await` allowed) as a module
 * whose default export runs the statements: the imports stay at the top, the rest moves into an
 * async function, so CommonJS (what jest runs) can await. A block may not export.
 */
export function asRunnableModule(code: string): string {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const statements: string[] = [];
  for (const statement of source.statements) {
    const text = code.slice(statement.getFullStart(), statement.getEnd());
    if (ts.isImportDeclaration(statement)) imports.push(text.trim());
    else if (ts.getModifiers(statement as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      throw new Error('a ts block that is run may not export: it is a script, not a module');
    } else statements.push(text);
  }
  return `${imports.join('\n')}\n\nexport default async function run(): Promise<void> {${statements.join('')}\n}\n`;
}

/** `localhost:4000` (the address the guides use) replaced by the address of a server under test. */
export function pointedAt(code: string, hostAndPort: string): string {
  return code.replaceAll('localhost:4000', hostAndPort);
}
