// Preloaded into the measured lvs-deploy process (node --import): on exit, write its peak RSS
// (process.resourceUsage().maxRSS, KiB) to $BENCH_RSS_FILE. Needs no /usr/bin/time.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      writeFileSync(file, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // the measurement is lost, the run is not
    }
  });
}
