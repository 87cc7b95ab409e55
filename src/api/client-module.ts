import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const source = join(__dirname, '..', '..', 'packages', 'client', 'src');

/**
 * The client package (packages/client) as ES modules for the screens: `/screens/client/index.js` and the
 * files it imports, the same code a Node user installs, so the kiosk keeps its keys and retries as any
 * client does. Compiled from the package's sources the first time a screen asks (TypeScript only strips
 * the types), then kept; served from the API's own origin, so the screens' strict CSP holds.
 */
export class ClientModule {
  private files: Map<string, string> | null = null;

  /** The compiled file, or undefined for a name that is not one of the package's. */
  file(name: string): string | undefined {
    this.files ??= compile();
    return this.files.get(name);
  }
}

function compile(): Map<string, string> {
  // Loaded here, not at the top: an API that serves no screen never pays for the compiler.
  const ts = require('typescript') as typeof import('typescript');
  const files = new Map<string, string>();
  for (const name of readdirSync(source).filter((n) => n.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(source, name), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: name,
    });
    files.set(name.replace(/\.ts$/, '.js'), outputText);
  }
  return files;
}
