import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@selfcare/shared/testing';

/** The repository's root: scripts are given relative to it (`gateway/dist/main.js`). */
export const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** A port nobody listens on now (the OS picks it; closed again before it is handed out). */
function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

let nextPort = 0;

/**
 * A port for a process a test starts. Chosen below Linux's ephemeral range (32768–60999), where the servers of other
 * test files listening on port 0 get theirs: between this check and the child binding it, none of them can take it
 * (CI saw "port … is already in use" from exactly that). Each jest worker has a thousand of its own.
 */
export async function freePort(): Promise<number> {
  const worker = Number(process.env.JEST_WORKER_ID ?? 0) % 12;
  for (let i = 0; i < 1000; i += 1) {
    const port = await listenOnce(20_000 + worker * 1000 + (nextPort++ % 1000));
    if (port !== null) return port;
  }
  const any = await listenOnce(0);
  if (any === null) throw new Error('no free port');
  return any;
}

export interface ProcessOptions {
  /** The whole environment of the process (nothing is inherited: give PATH and NODE_ENV yourself). */
  env: NodeJS.ProcessEnv;
  /** Node's own flags before the script (`--max-old-space-size=256`). */
  nodeArgs?: string[];
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Sends `signal` to a child process still running and waits for its exit; an exited one (or none) just returns. */
export async function stopProcess(child: ChildProcess | null | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/**
 * One service as its own Node process, as production runs it: stdout and stderr collected (for the failure message of a
 * test, and for tests that read the logs), readiness awaited over HTTP, stopped by a signal and awaited on teardown.
 */
export class ServiceProcess {
  readonly child: ChildProcess;
  /** Settles when the process has exited (however it ended); made at spawn, so no exit is missed. */
  readonly exit: Promise<ProcessExit>;
  private readonly chunks: string[] = [];

  constructor(
    readonly name: string,
    script: string,
    options: ProcessOptions,
  ) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(REPOSITORY_ROOT, script)], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk) => this.chunks.push(String(chunk)));
    this.child.stderr!.on('data', (chunk) => this.chunks.push(String(chunk)));
    this.exit = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Everything the process wrote to stdout and stderr so far, in order. */
  get output(): string {
    return this.chunks.join('');
  }

  /** The last `chars` characters of the output (failure messages). */
  tail(chars = 2000): string {
    return this.output.slice(-chars);
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Resolves once `GET <url><path>` answers 2xx (`/readyz`: the service's dependencies are up; `/healthz`: it listens);
   * fails after `timeoutMs` with the output's tail, or at once if the process died meanwhile.
   */
  async ready(url: string, options: { path?: string; timeoutMs?: number } = {}): Promise<void> {
    const path = options.path ?? '/readyz';
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited before it was ready (${this.child.exitCode ?? this.child.signalCode}): ${this.tail()}`);
        return (await fetch(`${url}${path}`).then((r) => r.ok).catch(() => false)) || undefined;
      },
      options.timeoutMs ?? 30_000,
      () => `${this.name} to answer ${path}: ${this.tail()}`,
    );
  }

  /** Sends `signal` (SIGKILL: a crash; SIGTERM: a graceful stop) and waits for the exit; an exited process just answers it. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
    if (this.running) this.child.kill(signal);
    return this.exit;
  }
}

/** The processes a test started, stopped together on teardown (in reverse order of start). */
export class ProcessGroup {
  readonly all: ServiceProcess[] = [];

  start(name: string, script: string, options: ProcessOptions): ServiceProcess {
    const started = new ServiceProcess(name, script, options);
    this.all.push(started);
    return started;
  }

  get(name: string): ServiceProcess {
    const found = [...this.all].reverse().find((p) => p.name === name);
    if (!found) throw new Error(`no process ${name}`);
    return found;
  }

  /** Stops every process still running and waits for all of them. */
  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit[]> {
    return Promise.all([...this.all].reverse().map((p) => p.stop(signal)));
  }
}
