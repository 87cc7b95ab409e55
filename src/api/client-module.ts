import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The client package's browser build (`npm run build:browser` in packages/client; a test keeps it current). */
const dir = join(__dirname, '..', '..', 'packages', 'client', 'browser');

/**
 * The client package as ES modules for the screens: `/screens/client/index.js` and the files it imports,
 * the same code a Node user installs, so the kiosk and the desk keep their keys and retries as any client
 * does. Read once; served from the API's own origin, so the screens' strict CSP holds.
 */
export function clientModuleFiles(): Map<string, string> {
  return new Map(readdirSync(dir).filter((name) => name.endsWith('.js')).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}
