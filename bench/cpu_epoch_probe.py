#!/usr/bin/env python3
"""CPU time per epoch of a tango-train run, read from outside: runs the command, passes its output
through, and at every progress line ("epoch N | ...", printed and flushed by rank 0 after each epoch)
adds up utime + stime (/proc/PID/stat) of every tango-train process below it (all ranks). The
difference between two consecutive lines is the CPU the ranks spent on one epoch, whatever else the
machine was running: on a shared, oversubscribed box wall time measures the neighbours, CPU time
the work. (MPI ranks that wait on a peer poll, so K-rank CPU time includes that polling.)

  cpu_epoch_probe.py OUT.json -- COMMAND ARGS...

OUT.json: {"cpu_ms_at_epoch": {epoch: cumulative CPU ms}, "cpu_ms_per_epoch": {epoch: ms}} (epoch 1
has no per-epoch figure: its interval includes loading). Exit code: the command's.
"""
import json
import os
import re
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")
EPOCH_LINE = re.compile(rb"^epoch\s+(\d+) \|")


def tree_cpu_ms(root, name=b"tango-train"):
    """utime + stime (ms) of the processes named `name` in root's process tree (root included)."""
    children, stats = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index(b"(") + 1:raw.rindex(b")")]
        fields = raw[raw.rindex(b")") + 2:].split()
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        stats[pid] = (comm, int(fields[11]) + int(fields[12]))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        comm, ticks = stats.get(pid, (b"", 0))
        if comm.startswith(name[:15]):
            total += ticks
        todo += children.get(pid, [])
    return 1e3 * total / TICK


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: cpu_epoch_probe.py OUT.json -- COMMAND ARGS...")
    out_path, command = sys.argv[1], sys.argv[3:]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    at_epoch = {}
    for line in proc.stdout:
        m = EPOCH_LINE.match(line)
        if m:
            at_epoch[int(m.group(1))] = tree_cpu_ms(proc.pid)
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
    rc = proc.wait()
    per_epoch = {e: at_epoch[e] - at_epoch[e - 1] for e in sorted(at_epoch) if e - 1 in at_epoch}
    tmp = f"{out_path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump({"cpu_ms_at_epoch": at_epoch, "cpu_ms_per_epoch": per_epoch}, f, indent=1)
    os.replace(tmp, out_path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
