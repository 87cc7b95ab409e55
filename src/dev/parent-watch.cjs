/**
 * Loaded (`--import`) into each part the Supervisor starts: a part runs in a process group of its own, so a
 * terminal's Ctrl-C reaches the supervisor alone, and this ends the part (its own SIGTERM, a graceful stop,
 * then SIGKILL if that hangs) when the supervisor that started it is gone, however it went (even SIGKILL),
 * so no part is left behind. Only in the part itself: a process it forks with the same flags (the audit
 * store's engine) has another parent and keeps its own channel as it is. Plain JavaScript: the worker's
 * workflow threads load it too, before any TypeScript loader.
 */
const { isMainThread } = require('node:worker_threads');

if (isMainThread && process.channel && process.env.SAGAWAY_SUPERVISOR_PID === String(process.ppid)) {
  delete process.env.SAGAWAY_SUPERVISOR_PID;
  // The channel is only a lifeline: it must not keep a part alive that has finished.
  process.channel.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 30_000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
