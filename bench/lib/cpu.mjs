/** CPU time used by a process or its whole process group (user + system, all threads), from /proc: Linux only. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond = null;

/** Fields of /proc/<pid>/stat after "(comm) ": [0] state (field 3), [2] pgrp, [11] utime, [12] stime. */
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

/** Seconds of CPU used so far by the live processes of process group `pgid` (e.g. a server and its embedded PostgreSQL). */
export function groupCpuSeconds(pgid) {
  try {
    let total = 0;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const fields = stat(pid);
        if (Number(fields[2]) === pgid) total += seconds(fields);
      } catch {
        // exited meanwhile
      }
    }
    return total;
  } catch {
    return null;
  }
}
