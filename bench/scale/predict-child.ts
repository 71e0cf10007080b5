// Runs `noisy predict` in this process and prints its peak RSS (MiB), for bench/scale.
import { main } from '../../tools/cli/src/main.js';

const io = {
  out: () => undefined,
  err: (s: string) => {
    process.stderr.write(s);
  },
  stderr: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream,
};
const code = await main(['predict', ...process.argv.slice(2)], io);
process.stdout.write(JSON.stringify({ code, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
