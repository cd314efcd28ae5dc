import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@selfcare/shared/testing';

/** The repository's root: scripts are given relative to it (`gateway/dist/main.js`). */
export const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** A port nobody listens on now (the OS picks it; closed again before it is handed out). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
