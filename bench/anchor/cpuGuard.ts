// Whether anything else used the CPU while a timed run ran: the machine's busy time
// (/proc/stat) minus this process's own and its waited-for children's (/proc/self/stat
// utime + stime + cutime + cstime), as a share of all CPUs over the run's wall time.
// Linux only; elsewhere the guard cannot see and says so.

import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

export interface CpuSample {
  /** Busy clock ticks of the whole machine (all CPUs). */
  machineBusy: number;
  /** Clock ticks of this process and its reaped children. */
  own: number;
  at: number;
}

/** Clock ticks per second: 100 on every Linux build in practice (USER_HZ). */
const TICKS_PER_SECOND = 100;

export function cpuSample(): CpuSample | undefined {
  if (!existsSync("/proc/stat") || !existsSync("/proc/self/stat")) return undefined;
  const cpuLine = readFileSync("/proc/stat", "utf8").split("\n").find((line) => line.startsWith("cpu "));
  if (cpuLine === undefined) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice: busy = all but idle and
  // iowait (guest time is already inside user).
  const fields = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const busy = fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  const stat = readFileSync("/proc/self/stat", "utf8");
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const own = [11, 12, 13, 14].reduce((sum, field) => sum + Number(after[field]), 0); // utime stime cutime cstime (fields 14–17)
  return { machineBusy: busy, own, at: performance.now() };
}

export interface OtherCpuUse {
  /** CPU used by other processes, as a share of all CPUs over the interval (0–1). */
  share: number;
  seconds: number;
}

/** Undefined when /proc is not there. */
export function otherCpuUse(before: CpuSample | undefined, after: CpuSample | undefined): OtherCpuUse | undefined {
  if (before === undefined || after === undefined) return undefined;
  const wallSeconds = (after.at - before.at) / 1000;
  const otherTicks = Math.max(0, after.machineBusy - before.machineBusy - (after.own - before.own));
  const seconds = otherTicks / TICKS_PER_SECOND;
  return { share: wallSeconds > 0 ? seconds / (wallSeconds * os.cpus().length) : 0, seconds };
}
