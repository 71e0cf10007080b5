// Progress for humans: on a terminal, one live bar for the running task and a permanent line per
// finished epoch, shard and step; when not a terminal (CI, pipes), plain lines only. Bars show
// an ETA from the task's own rate since its first event; training on encoded pictures adds how
// long it waited for input.
import type { ProgressEvent, RunEvent } from '@noisy/contracts';

export interface ProgressSink {
  progress(p: ProgressEvent): void;
  run(e: RunEvent): void;
  done(): void;
}

// Work outside a run (noisy predict) has no generation (-1): no "gen" then.
const label = (p: { step: string; generation: number; shard: number }) =>
  `${p.generation >= 0 ? `gen ${p.generation} ` : ''}${p.step}${p.shard >= 0 ? ` shard ${p.shard}` : ''}`;

/** Bytes as megabytes with one decimal (ingest counting a source file). */
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

function bar(fraction: number, width = 24): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** `42s`, `3m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Remaining time of a task: (time since its first event / work done since then) x work left.
 * The first event only starts the clock, so compilation and loading before it do not count.
 */
export function etaTracker(now: () => number = Date.now) {
  const seen = new Map<string, { t: number; done: number }>();
  return (key: string, done: number, total: number): number | undefined => {
    const first = seen.get(key);
    if (!first || done < first.done) {
      seen.set(key, { t: now(), done });
      return undefined;
    }
    if (total <= 0 || done <= first.done) return undefined;
    return ((now() - first.t) / 1000 / (done - first.done)) * (total - done);
  };
}

/** `, input wait 3.2s (12%)` when training on encoded pictures reports it. */
function inputWait(p: ProgressEvent): string {
  if (p.inputWaitSeconds === undefined) return '';
  const pct = p.inputWaitFraction === undefined ? '' : ` (${Math.round(p.inputWaitFraction * 100)}%)`;
  return `, input wait ${p.inputWaitSeconds.toFixed(1)}s${pct}`;
}

export function createProgress(out: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProgressSink {
  const tty = Boolean(out.isTTY);
  const eta = etaTracker(now);
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
        line(`  ${label(p)}: epoch ${p.epoch} loss ${p.epochLoss.toFixed(4)}${inputWait(p)}`);
        return;
      }
      if (p.total <= 0) {
        // An unknown total (a streamed input): the count so far, no percentage or bar.
        const count = `  ${label(p)} ${p.done} ${p.unit}`;
        if (tty) out.write(`\r\x1b[2K${(live = count).slice(0, (out.columns ?? 120) - 1)}`);
        else if (now() - lastPlain > 10_000) {
          lastPlain = now();
          out.write(`${count}\n`);
        }
        return;
      }
      const frac = p.done / p.total;
      const left = eta(`${p.runId} ${label(p)}`, p.done, p.total);
      const detail = `${
        p.unit === 'steps'
          ? `step ${p.done}/${p.total} epoch ${p.epoch}/${p.epochs} loss ${p.loss?.toFixed(3)} ${Math.round(p.rate ?? 0)} img/s${inputWait(p)}`
          : p.unit === 'bytes'
            ? `${mb(p.done)}/${mb(p.total)} MB`
            : `${p.done}/${p.total} examples`
      }${left !== undefined && p.done < p.total ? ` ETA ${formatDuration(left)}` : ''}`;
      if (tty) {
        live = `  ${label(p)} ${bar(frac)} ${Math.round(frac * 100)}% ${detail}`;
        out.write(`\r\x1b[2K${live.slice(0, (out.columns ?? 120) - 1)}`);
      } else if (now() - lastPlain > 10_000 || p.done === p.total) {
        lastPlain = now();
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
