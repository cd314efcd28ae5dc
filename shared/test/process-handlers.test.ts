import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The launchers' process-level handlers (shared/src/service/process.ts), in a real Node process of their own. */
describe('process-level handlers', () => {
  const shared = join(__dirname, '..', 'dist', 'index.js');
  const run = (body: string) =>
    spawnSync(process.execPath, ['-e', `const { createLogger, installProcessHandlers } = require(${JSON.stringify(shared)}); installProcessHandlers(createLogger('test', 'info')); ${body}`], {
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('logs a promise rejected with nobody listening and keeps the process running', () => {
    // Node handles unhandled rejections before the next macrotask: without the handler the process is gone by then.
    const result = run(`Promise.reject(new Error('upstream went away')); setImmediate(() => setImmediate(() => console.log('still running')));`);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('still running');
    expect(JSON.parse(lines.find((line) => line.startsWith('{'))!)).toMatchObject({ level: 50, msg: 'unhandled promise rejection (process kept running)', err: { message: 'upstream went away' } });
  });

  it('logs an uncaught exception and exits with 1', () => {
    const result = run(`setImmediate(() => { throw new Error('broken state'); }); setTimeout(() => console.log('should not run'), 1000);`);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout.trim().split('\n')[0]!)).toMatchObject({ level: 60, msg: 'uncaught exception; exiting', err: { message: 'broken state' } });
    expect(result.stdout).not.toMatch(/should not run/);
  });
});
