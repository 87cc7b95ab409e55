/**
 * Every relative link in the README, in docs/ and in the client package's README resolves: to a file or
 * folder that exists, and when it names a heading (`page.md#anchor`, `#anchor`), to a heading of that page,
 * as GitHub makes anchors from headings. Links inside code (fences and `inline`) are not links.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(__dirname, '..', '..');

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const PAGES = [join(ROOT, 'README.md'), join(ROOT, 'packages', 'client', 'README.md'), ...markdownUnder(join(ROOT, 'docs'))];

/** The text outside code fences and inline code, line by line (line numbers kept). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

function relativeLinks(page: string): Link[] {
  const links: Link[] = [];
  prose(readFileSync(page, 'utf8')).forEach((text, i) => {
    for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      links.push({ page, line: i + 1, target });
    }
  });
  return links;
}

/** Why a link does not resolve, or null when it does. */
function brokenBecause(link: Link): string | null {
  const [pathPart, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const file = pathPart === '' ? link.page : resolve(dirname(link.page), decodeURIComponent(pathPart));
  if (!file.startsWith(ROOT)) return 'points outside the repository';
  if (!existsSync(file)) return `no such file: ${relative(ROOT, file)}`;
  if (anchor === undefined) return null;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `an anchor on a page that is not markdown: ${relative(ROOT, file)}`;
  if (!anchorsOf(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor).toLowerCase())) return `no heading #${anchor} in ${relative(ROOT, file)}`;
  return null;
}

describe('links in the README and docs/', () => {
  it('every relative link resolves to a file, and every anchor to a heading', () => {
    const links = PAGES.flatMap(relativeLinks);
    const broken = links.flatMap((link) => {
      const why = brokenBecause(link);
      return why ? [`${relative(ROOT, link.page)}:${link.line}: (${link.target}) ${why}`] : [];
    });
    process.stdout.write(`checked ${links.length} relative links in ${PAGES.length} pages\n`);
    assert.ok(links.length > 0, 'no relative link found: the pages or the link pattern are wrong');
    assert.deepEqual(broken, []);
  });

  it('makes anchors as GitHub does', () => {
    const anchors = anchorsOf("# The engine's contract\n## The operator console, `/ops`\n```\n# not a heading\n```\n## Demo data\n## Demo data\n");
    assert.deepEqual([...anchors], ['the-engines-contract', 'the-operator-console-ops', 'demo-data', 'demo-data-1']);
  });
});
