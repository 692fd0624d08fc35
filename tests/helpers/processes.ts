/**
 * Starting the README's commands from a test: a free port, a command in its own process group
 * (npm -> sh -> node, stopped as a whole), and a deadline for its server to answer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { repoRoot } from './fixtures';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a command in its own process group (npm → sh → node), collecting its output. */
export function start(command: string, args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  let out = '';
  const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    // The whole group: killing npx or npm alone would leave the node server running.
    stop: async () => {
      if (child.exitCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

/** Waits until `url` answers (or the process exits, which fails with its output). */
export async function waitForServer(url: string, proc: ReturnType<typeof start>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) throw new Error(`exited with ${proc.child.exitCode}:\n${proc.output().slice(-3000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s:\n${proc.output().slice(-3000)}`);
}

/**
 * The README's `bash scripts/serve.sh` on a free port, once its page answers. Refuses to start when
 * setup.sh would reinstall: a test must never run `npm ci` under a shared node_modules.
 */
export async function startServeScript(timeoutMs = 280_000): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const check = spawnSync('bash', ['scripts/setup.sh', '--check'], { cwd: repoRoot, encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`Not starting serve.sh: ${check.stdout.trim()}. Run bash scripts/setup.sh first.`);
  const port = await freePort();
  const proc = start('bash', ['scripts/serve.sh'], { PORT: String(port) });
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForServer(url, proc, timeoutMs);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, output: proc.output, stop: proc.stop };
}
