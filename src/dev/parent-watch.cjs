/**
 * Loaded (`--import`) into each part the Supervisor starts: a part runs in a process group of its own, so a
 * terminal's Ctrl-C reaches the supervisor alone, and this ends the part (its own SIGTERM, a graceful stop)
 * when the supervisor that started it is gone, however it went (even SIGKILL), so no part is left behind.
 * Plain JavaScript: the worker's workflow threads load it too, before any TypeScript loader.
 */
const { isMainThread } = require('node:worker_threads');

if (isMainThread && process.channel) {
  // The channel is only a lifeline: it must not keep a part alive that has finished.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
