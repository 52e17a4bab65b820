/** CPU time used by a process, or by it and all its descendants (user + system, all threads), from /proc: Linux only. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond = null;

/** Fields of /proc/<pid>/stat after "(comm) ": [0] state (field 3), [1] ppid, [11] utime, [12] stime. */
function stat(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function seconds(fields) {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Seconds of CPU used so far by `pid`, or null where /proc is not available. */
export function cpuSeconds(pid) {
  try {
    return seconds(stat(pid));
  } catch {
    return null;
  }
}

/** Seconds of CPU used so far by the live descendants of `pid` (e.g. a server's embedded PostgreSQL), or null. */
export function descendantsCpuSeconds(pid) {
  try {
    const processes = [];
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        processes.push({ pid: Number(name), fields: stat(name) });
      } catch {
        // exited meanwhile
      }
    }
    const family = new Set([pid]);
    let total = 0;
    // Parents have lower pids unless pids wrapped; repeat until no process joins.
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of processes) {
        if (!family.has(p.pid) && family.has(Number(p.fields[1]))) {
          family.add(p.pid);
          total += seconds(p.fields);
          grew = true;
        }
      }
    }
    return total;
  } catch {
    return null;
  }
}
