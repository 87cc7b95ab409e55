/**
 * The `--import`/`--require` flags (and their values) of a process's own options: a child process that
 * runs one of sagaway's modules gets the same loader (tsx in development) and no other flag (an inspector,
 * say).
 */
export function loaderFlags(execArgv: string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i]!;
    if (/^(--import|--require|-r|--loader|--experimental-loader)=/.test(arg)) flags.push(arg);
    else if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(arg) && i + 1 < execArgv.length) flags.push(arg, execArgv[(i += 1)]!);
  }
  return flags;
}
