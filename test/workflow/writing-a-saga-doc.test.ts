/**
 * docs/writing-a-saga.md followed as written: in a copy of the repository, each of its files is written
 * where it says and each registration line put where it says; the copy must type-check, its workflow
 * test must pass when run with the doc's own command, and the count of files outside the saga's own that
 * the doc states must be the count of files it edits. The repository itself is not touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'writing-a-saga.md'), 'utf8');
const COPIED = ['src', 'test', 'sim', 'scripts', 'chaos', 'bench', 'packages', 'tsconfig.json', 'package.json'];

interface NewFile { path: string; text: string }
interface Edit { path: string; find: string; replace: string }

/** The doc's ts blocks: each is a new file (`// <path>`) or a registration line (`// in <path>, replace: <text>`). */
function blocksOf(markdown: string): { files: NewFile[]; edits: Edit[]; commands: string[] } {
  const files: NewFile[] = [];
  const edits: Edit[] = [];
  const commands: string[] = [];
  for (const [, lang, body] of markdown.matchAll(/```(\w*)\n([\s\S]*?)```/g)) {
    if (lang === 'sh') commands.push(...body!.trim().split('\n'));
    if (lang !== 'ts') continue;
    const [first, ...rest] = body!.split('\n');
    const edit = /^\/\/ in (\S+), replace: (.+)$/.exec(first!);
    const file = /^\/\/ (\S+\.ts)$/.exec(first!);
    if (edit) edits.push({ path: edit[1]!, find: edit[2]!, replace: rest.join('\n').trimEnd() });
    else if (file) files.push({ path: file[1]!, text: rest.join('\n') });
    else assert.fail(`a ts block that names no file, so nothing checks it:\n${body}`);
  }
  return { files, edits, commands };
}

function run(command: string, cwd: string) {
  return spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8', timeout: 280_000, env: { ...process.env, SAGAWAY_TEST: '1' } });
}

const { files, edits, commands } = blocksOf(doc);
let copy: string;

before(() => {
  copy = mkdtempSync(join(tmpdir(), 'sagaway-writing-a-saga-'));
  for (const name of COPIED) {
    cpSync(join(root, name), join(copy, name), { recursive: true, filter: (src) => !/\/(node_modules|dist|histories)(\/|$)/.test(src.slice(root.length)) });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  for (const file of files) {
    assert.equal(existsSync(join(root, file.path)), false, `${file.path} is the new saga's own: it must not exist yet`);
    mkdirSync(dirname(join(copy, file.path)), { recursive: true });
    writeFileSync(join(copy, file.path), file.text);
  }
  for (const edit of edits) {
    const path = join(copy, edit.path);
    const text = readFileSync(path, 'utf8');
    assert.equal(text.split(edit.find).length, 2, `${edit.path} holds "${edit.find}" exactly once`);
    writeFileSync(path, text.replace(edit.find, () => edit.replace));
  }
});

after(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('docs/writing-a-saga.md', () => {
  it('states the number of files outside the saga\'s own that it edits', () => {
    const edited = new Set(edits.map((e) => e.path));
    console.log(`the doc writes ${files.length} files of the saga's own and edits ${edited.size} others (${edits.length} edits)`);
    assert.ok(files.length >= 5 && edited.size > 0, 'the doc has files and registration lines');
    const stated = /\*\*The count: (\d+) files outside the saga's own/.exec(doc);
    assert.ok(stated, 'the doc states the count');
    assert.equal(Number(stated[1]), edited.size);
  });

  it('type-checks once its files and lines are in place', () => {
    const result = run('npx tsc -p . --noEmit', copy);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });

  it("runs its workflow test with the doc's command", () => {
    const command = commands.find((c) => c.includes('test/workflow/gift-card'));
    assert.ok(command, 'the doc says how to run the workflow test');
    const result = run(command, copy);
    assert.equal(result.status, 0, `${command}\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /test\/workflow\/gift-card\.test\.ts/);
    assert.match(result.stdout, /ℹ pass [1-9]/);
  });
});
