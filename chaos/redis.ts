import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RunningService } from '../src/dev/cluster-stores';
import { freePort } from '../src/dev/temporal-server';

/**
 * Debian's redis-server for the campaign's API and workers (SAGAWAY_REDIS_URL: shared rate limits, the
 * kiosk stock cache, the saga views the workers publish). The campaign kills it and starts it again on
 * the same port and folder; it holds nothing on disk, so it comes back empty.
 */
export class ChaosRedis {
  private constructor(
    private running: RunningService,
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<ChaosRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'sagaway-chaos-redis-'));
    const port = await freePort();
    return new ChaosRedis(await startRedis(redisOptions(port, dir)), port, dir);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGKILL; resolves once the process has exited (false: it had already gone). */
  async kill(): Promise<boolean> {
    const { child } = this.running;
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    return true;
  }

  /** Starts it again where it was; resolves once it accepts connections (startRedis waits for the port). */
  async restart(): Promise<void> {
    this.running = await startRedis(redisOptions(this.port, this.dir));
  }

  async stop(keep: boolean): Promise<void> {
    await this.running.stop();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

function redisOptions(port: number, dir: string) {
  return { port, dir, logFile: join(dir, 'redis.log'), log: (line: string) => process.stdout.write(`${line}\n`) };
}
