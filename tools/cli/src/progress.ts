// Progress for humans: on a terminal, one live bar for the running task and a permanent line per
// finished epoch, shard and step; when not a terminal (CI, pipes), plain lines only.
import type { ProgressEvent, RunEvent } from '@noisy/contracts';

export interface ProgressSink {
  progress(p: ProgressEvent): void;
  run(e: RunEvent): void;
  done(): void;
}

const label = (p: { step: string; generation: number; shard: number }) =>
  `gen ${p.generation} ${p.step}${p.shard >= 0 ? ` shard ${p.shard}` : ''}`;

function bar(fraction: number, width = 24): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export function createProgress(out: NodeJS.WriteStream = process.stderr): ProgressSink {
  const tty = Boolean(out.isTTY);
  let live = '';
  let lastPlain = 0;
  const clear = () => {
    if (tty && live) {
      out.write('\r\x1b[2K');
      live = '';
    }
  };
  const line = (s: string) => {
    clear();
    out.write(`${s}\n`);
  };
  return {
    progress(p) {
      if (p.epochLoss !== undefined) {
        line(`  ${label(p)}: epoch ${p.epoch} loss ${p.epochLoss.toFixed(4)}`);
        return;
      }
      const frac = p.total > 0 ? p.done / p.total : 0;
      const detail =
        p.unit === 'steps'
          ? `step ${p.done}/${p.total} epoch ${p.epoch}/${p.epochs} loss ${p.loss?.toFixed(3)} ${Math.round(p.rate ?? 0)} img/s`
          : `${p.done}/${p.total} examples`;
      if (tty) {
        live = `  ${label(p)} ${bar(frac)} ${Math.round(frac * 100)}% ${detail}`;
        out.write(`\r\x1b[2K${live.slice(0, (out.columns ?? 120) - 1)}`);
      } else if (Date.now() - lastPlain > 10_000 || p.done === p.total) {
        lastPlain = Date.now();
        out.write(`  ${label(p)} ${Math.round(frac * 100)}% ${detail}\n`);
      }
    },
    run(e) {
      if (e.state === 'step-started' || e.state === 'failed' || e.state === 'started')
        line(`${e.state === 'failed' ? 'FAILED: ' : '> '}${e.message}`);
    },
    done: clear,
  };
}
