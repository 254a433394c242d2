import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks per second for /proc CPU times (USER_HZ: 100 on every Linux the bench runs on). */
const CLOCK_TICKS = 100;

/** CPU time (user + system) of the local `mariadbd`/`mysqld` so far, in ms; NaN when it cannot be read. */
export function databaseCpuMs(): number {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // the process ended while the list was read
      }
      if (!/^\d+ \((mariadbd|mysqld)\)/.test(stat)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    }
  } catch {
    // not Linux, or /proc not readable: the figure is left out
  }
  return NaN;
}
