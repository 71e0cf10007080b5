// Run a service (services/<name>/src/main.ts) as a separate OS process for fault tests: kill it
// with any signal and start it again with the same environment and port.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from './nats-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export class ServiceProcess {
  private child: ChildProcess | null = null;
  log = '';
  private constructor(
    readonly name: string,
    readonly service: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(name: string, env: Record<string, string>): Promise<ServiceProcess> {
    const p = new ServiceProcess(name, name.replace(/-\d+$/, ''), await freePort(), env);
    await p.start();
    return p;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services', this.service, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, NOISY_GRPC_PORT: String(this.port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    this.child = child;
    await waitForPort(this.port, 60_000, child);
  }

  /** Kill (default SIGKILL: no chance to clean up) and wait for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    await new Promise((r) => c.once('exit', r));
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }
}
