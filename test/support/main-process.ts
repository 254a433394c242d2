import { spawn, type ChildProcess } from 'node:child_process';

export interface MainProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Everything the process printed up to now. */
  output(): string;
}

/**
 * `npm start` as an operator runs it: server/main.ts in its own process with `env` over this
 * process's environment (without its NODE_ENV), resolved once it prints the address it listens on.
 */
export function startMain(env: Record<string, string>): Promise<MainProcess> {
  const inherited = { ...process.env };
  delete inherited.NODE_ENV;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /http:\/\/localhost:(\d+)/.exec(out);
      // The banner is one write: once the URL is there, the whole of it is.
      if (m) {
        clearInterval(timer);
        resolve({ child, port: Number(m[1]), baseUrl: `http://127.0.0.1:${m[1]}`, output: () => out });
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`server exited early (${code}): ${out}`));
    });
  });
}

/** The process's exit code, once it exits. */
export const exitOf = (main: MainProcess) => new Promise<number | null>((resolve) => {
  if (main.child.exitCode !== null) resolve(main.child.exitCode);
  else main.child.once('exit', (code) => resolve(code));
});

/** Resolves when the process has printed `text`; fails after `ms`. */
export async function printed(main: MainProcess, text: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!main.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the process did not print ${JSON.stringify(text)} within ${ms} ms:\n${main.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `promise`, or a failure naming `what` after `ms`: a wait on another process is always bounded. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}
