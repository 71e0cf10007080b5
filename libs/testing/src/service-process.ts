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
  private armed: { step: RegExp; killed: (taskId: string) => void } | null = null;
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
    let partial = ''; // a log line split across chunks
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      this.log += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      // Armed: SIGKILL as soon as the service says it started a matching task, while it holds it.
      for (const line of lines) {
        const m = this.armed && /"msg":"task started".*?"taskId":"([^"]+)"/.exec(line);
        if (!m || !this.armed!.step.test(m[1])) continue;
        const { killed } = this.armed!;
        this.armed = null;
        child.kill('SIGKILL');
        killed(m[1]);
        break;
      }
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

  /**
   * Kill the service the moment its log says it started a task whose id matches `step` (it then
   * holds that task: started, not acknowledged), start it again, and return that task's id.
   */
  async restartWhileHolding(step: RegExp, ms = 180_000): Promise<string> {
    const taskId = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.armed = null;
        reject(new Error(`${this.name} started no task matching ${step.source} within ${ms} ms`));
      }, ms);
      this.armed = {
        step,
        killed: (id) => {
          clearTimeout(timer);
          resolve(id);
        },
      };
    });
    const c = this.child!;
    if (c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once('exit', r));
    await this.start();
    return taskId;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }
}
