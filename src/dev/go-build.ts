import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface GoInstall {
  /** What `go install` builds, e.g. `go.temporal.io/server/cmd/server@v1.29.1`. */
  module: string;
  /** The name `go install` gives the binary (the last element of the package path). */
  built: string;
  /** Where the binary ends up. */
  target: string;
  /** What the log calls it. */
  label: string;
}

/**
 * Builds one Go binary into the per-user cache. It lands by rename only when whole, so an interrupted
 * build never leaves a broken binary behind. Niced, so a build does not starve the rest of the machine.
 */
export async function goInstall({ module, built, target, label }: GoInstall, log: (line: string) => void): Promise<void> {
  const dir = join(target, '..');
  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(join(dir, 'build-'));
  log(`sagaway: building ${label} (${module}) with Go into ${dir}`);
  log('sagaway: this happens once per machine and takes several minutes on 2 cores; later runs reuse it');
  const started = Date.now();
  const ticker = setInterval(() => log(`sagaway: still building ${label} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('nice', ['-n', '10', 'go', 'install', module], {
        env: { ...process.env, GOBIN: staging, GOFLAGS: process.env.GOFLAGS ?? '-trimpath' },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      let lines = 0;
      child.stderr.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lines += 1;
          if (lines % 25 === 1 || !line.startsWith('go: downloading')) log(`  ${line}`);
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${module} exited with ${code}`))));
    });
    renameSync(join(staging, built), target);
    log(`sagaway: ${label} ready at ${target} after ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    clearInterval(ticker);
    rmSync(staging, { recursive: true, force: true });
  }
}
