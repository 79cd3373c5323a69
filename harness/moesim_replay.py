#!/usr/bin/python3
"""Replays a moesim traffic export on real chips and times it (docs/harness.md).

`moesim traffic SCENARIO -o DIR` writes DIR/traffic.json (the header) and
DIR/traffic.csv (layer,phase,stage,src,dst,bytes). This program runs one
process per chip of the export's EP groups on torch.distributed, moves each
(layer, phase, stage) as the all-to-all-v it is, checks every byte received,
times each phase and writes the measurement CSV that `moesim check` and
`moesim calibrate` read.

  harness/moesim_replay.py DIR/traffic.json --nprocs 4 -o measured.csv     # local processes (gloo on CPU)
  torchrun --nproc_per_node=8 harness/moesim_replay.py DIR/traffic.json -o measured.csv

Bad input (a malformed file, a world size that is not the export's chips)
is one line on stderr and exit status 2; a byte received wrong is one line
from the rank that received it and exit status 1.

A phase's time is, for each repetition, the largest over the ranks of the
time from a barrier's end to the phase's last stage's end; the median of the
repetitions is the layer's figure, and `measured_us` is its mean over the
layers (what `moesim check` compares: a phase's mean over the layers).
"""

import argparse
import csv
import hashlib
import io
import json
import os
import socket
import statistics
import sys
import time

PROG = "moesim_replay"
COLUMNS = ["layer", "phase", "stage", "src", "dst", "bytes"]
PHASES = ["dispatch", "combine", "allgather"]


def plural(n, noun):
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


class ReplayError(Exception):
    """A user error: one line naming the file, the field and the value."""


# ---------------------------------------------------------------------------
# The traffic file.


class Traffic:
    """A moesim traffic export: its header and, per (layer, phase), the
    stages in order, each a dict {(src_rank, dst_rank): bytes}."""

    def __init__(self, header, ranks, phases, stages):
        self.header = header
        self.ranks = ranks  # chip id of each rank
        self.phases = phases  # [(phase, stage count)] in the order they run
        self.stages = stages  # {(layer, phase): [ {(src, dst): bytes} per stage ]}

    @property
    def layers(self):
        return self.header["layers"]

    def chips_text(self):
        groups = self.header["groups"]
        return "%s (%s of %d)" % (plural(len(self.ranks), "chip"), plural(len(groups), "EP group"), len(groups[0]))


def need(obj, key, kind, where):
    if not isinstance(obj, dict) or key not in obj:
        raise ReplayError("%s: %s: missing field" % (where, key))
    value = obj[key]
    if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ReplayError("%s: %s: '%s' is not a whole number" % (where, key, value))
    if kind is not int and not isinstance(value, kind):
        raise ReplayError("%s: %s: '%s' is not a %s" % (where, key, value, kind.__name__))
    return value


def read_header(path):
    try:
        with open(path, encoding="utf-8") as f:
            header = json.load(f)
    except OSError as e:
        raise ReplayError("%s: cannot open file (%s)" % (path, e.strerror))
    except json.JSONDecodeError as e:
        raise ReplayError("%s:%d: not JSON (%s)" % (path, e.lineno, e.msg))
    if need(header, "format", str, path) != "moesim-traffic":
        raise ReplayError("%s: format: '%s' is not moesim-traffic (write it with moesim traffic)" %
                          (path, header["format"]))
    if need(header, "format_version", int, path) != 1:
        raise ReplayError("%s: format_version: %s is not 1, the version this harness reads" %
                          (path, header["format_version"]))
    for key, kind in [("layers", int), ("ranks", list), ("groups", list), ("phases", list), ("flows", dict),
                      ("point", dict), ("scenario", dict)]:
        need(header, key, kind, path)
    for i, r in enumerate(header["ranks"]):
        if need(r, "rank", int, path + ": ranks[%d]" % i) != i:
            raise ReplayError("%s: ranks[%d].rank: %s is not %d" % (path, i, r["rank"], i))
        need(r, "chip", int, path + ": ranks[%d]" % i)
    if not header["ranks"] or not header["groups"]:
        raise ReplayError("%s: ranks: no chips" % path)
    need(header["flows"], "file", str, path + ": flows")
    return header


def phase_list(header, path):
    phases = []
    for i, p in enumerate(header["phases"]):
        name = need(p, "phase", str, path + ": phases[%d]" % i)
        if name not in PHASES:
            raise ReplayError("%s: phases[%d].phase: '%s' is not a phase (allowed: %s)" %
                              (path, i, name, ", ".join(PHASES)))
        stages = need(p, "stages", list, path + ": phases[%d]" % i)
        if not stages:
            raise ReplayError("%s: phases[%d].stages: no stage" % (path, i))
        phases.append((name, len(stages)))
    return phases


def parse_row(cells, where, chip_rank, phase_stages, layers):
    """One CSV row as (layer, phase, stage, src rank, dst rank, bytes)."""
    if len(cells) != len(COLUMNS):
        raise ReplayError("%s: %d fields where the header has %d" % (where, len(cells), len(COLUMNS)))
    values = dict(zip(COLUMNS, cells))
    for key in ["layer", "stage", "src", "dst", "bytes"]:
        if not values[key].isdigit():
            raise ReplayError("%s: %s: '%s' is not a whole number" % (where, key, values[key]))
    layer, stage, src, dst, size = (int(values[k]) for k in ["layer", "stage", "src", "dst", "bytes"])
    phase = values["phase"]
    if layer >= layers:
        raise ReplayError("%s: layer: %d is not below the header's %d layers" % (where, layer, layers))
    if phase not in phase_stages:
        raise ReplayError("%s: phase: '%s' is not a phase of the header (%s)" %
                          (where, phase, ", ".join(phase_stages)))
    if stage >= phase_stages[phase]:
        raise ReplayError("%s: stage: %d is not a stage of %s (it has %d)" % (where, stage, phase, phase_stages[phase]))
    for key, chip in [("src", src), ("dst", dst)]:
        if chip not in chip_rank:
            raise ReplayError("%s: %s: chip %d is not a chip of the header's ranks" % (where, key, chip))
    if size == 0:
        raise ReplayError("%s: bytes: 0 (a row is a flow of at least one byte)" % where)
    return layer, phase, stage, chip_rank[src], chip_rank[dst], size


def read_flows(path, header, phases, chip_rank):
    stages = {(l, p): [dict() for _ in range(n)] for l in range(header["layers"]) for p, n in phases}
    phase_stages = dict(phases)
    rows = total = 0
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise ReplayError("%s: cannot open file (%s)" % (path, e.strerror))
    with f:
        reader = csv.reader(f)
        first = next(reader, None)
        if first != COLUMNS:
            raise ReplayError("%s:1: columns: '%s' is not %s" % (path, ",".join(first or []), ",".join(COLUMNS)))
        for cells in reader:
            where = "%s:%d" % (path, reader.line_num)
            layer, phase, stage, src, dst, size = parse_row(cells, where, chip_rank, phase_stages, header["layers"])
            flows = stages[(layer, phase)][stage]
            if (src, dst) in flows:
                raise ReplayError("%s: src, dst: chips %s and %s twice in layer %d, %s stage %d" %
                                  (where, cells[3], cells[4], layer, phase, stage))
            flows[(src, dst)] = size
            rows += 1
            total += size
    return stages, rows, total


def load_traffic(path):
    """Reads and checks an export; ReplayError names the file, line and field."""
    header = read_header(path)
    phases = phase_list(header, path)
    ranks = [r["chip"] for r in header["ranks"]]
    chip_rank = {c: i for i, c in enumerate(ranks)}
    if len(chip_rank) != len(ranks):
        raise ReplayError("%s: ranks: a chip listed twice" % path)
    flows_path = os.path.join(os.path.dirname(path), header["flows"]["file"])
    stages, rows, total = read_flows(flows_path, header, phases, chip_rank)
    # The header's counts guard against a cut or edited CSV.
    for key, got in [("rows", rows), ("bytes", total)]:
        want = need(header["flows"], key, int, path + ": flows")
        if want != got:
            raise ReplayError("%s: flows.%s: the header says %d, %s has %d" % (path, key, want, flows_path, got))
    return Traffic(header, ranks, phases, stages)


# ---------------------------------------------------------------------------
# The bytes on the wire.


def pattern_key(layer, phase, stage, src, dst):
    """Two numbers from (layer, phase, stage, src chip, dst chip): a step in
    1..250 and a start in 0..250; byte k of the flow is (start + step k) mod 251."""
    digest = hashlib.blake2b(("%d/%s/%d/%d/%d" % (layer, phase, stage, src, dst)).encode(), digest_size=8).digest()
    h = int.from_bytes(digest, "little")
    return 1 + h % 250, (h // 250) % 251


def pattern(torch, size, key, device):
    step, start = key
    values = torch.arange(size, dtype=torch.int64, device=device)
    return values.mul_(step).add_(start).remainder_(251).to(torch.uint8)


class StageBuffers:
    """One rank's buffers of one stage: what it sends each rank (in rank
    order), what it receives from each, and the split sizes in bytes."""

    def __init__(self, torch, traffic, layer, phase, stage, rank, device):
        flows = traffic.stages[(layer, phase)][stage]
        n = len(traffic.ranks)
        self.send = [flows.get((rank, d), 0) for d in range(n)]
        self.recv = [flows.get((s, rank), 0) for s in range(n)]
        self.keys = [pattern_key(layer, phase, stage, traffic.ranks[s], traffic.ranks[rank]) for s in range(n)]
        chunks = [pattern(torch, b, pattern_key(layer, phase, stage, traffic.ranks[rank], traffic.ranks[d]), device)
                  for d, b in enumerate(self.send) if b]
        self.input = torch.cat(chunks) if chunks else torch.empty(0, dtype=torch.uint8, device=device)
        self.output = torch.empty(sum(self.recv), dtype=torch.uint8, device=device)


# ---------------------------------------------------------------------------
# One process a rank.


class Exchange:
    """Moves an all-to-all-v: all_to_all_single, or isend/irecv pairs where
    the backend has no all-to-all (or --exchange p2p asks for them). Split
    sizes count the tensors' elements, in rank order."""

    def __init__(self, dist, mode, rank):
        self.dist, self.mode, self.rank = dist, mode, rank

    def move(self, output, input, recv, send):
        if self.mode == "a2a":
            try:
                self.dist.all_to_all_single(output, input, recv, send)
                return
            except RuntimeError as e:
                if "not supported" not in str(e) and "alltoall" not in str(e).lower():
                    raise
                log(self.rank, "the backend has no all_to_all_single (%s): isend/irecv pairs" %
                    str(e).splitlines()[0])
                self.mode = "p2p"
        self.p2p(output, input, recv, send)

    def stage(self, b):
        self.move(b.output, b.input, b.recv, b.send)

    def p2p(self, output, input, recv, send):
        ops, send_at, recv_at = [], 0, 0
        for peer in range(len(send)):
            s, r = send[peer], recv[peer]
            if peer == self.rank:
                output[recv_at:recv_at + r].copy_(input[send_at:send_at + s])
            else:
                if s:
                    ops.append(self.dist.P2POp(self.dist.isend, input[send_at:send_at + s], peer))
                if r:
                    ops.append(self.dist.P2POp(self.dist.irecv, output[recv_at:recv_at + r], peer))
            send_at, recv_at = send_at + s, recv_at + r
        if ops:
            for req in self.dist.batch_isend_irecv(ops):
                req.wait()


def log(rank, text):
    if rank == 0:
        print("%s: %s" % (PROG, text), file=sys.stderr, flush=True)


class Stop(Exception):
    """Another rank found an error and says so; this one stops quietly."""


def settle(ctx, error):
    """Every rank learns whether any rank found an error, so that none waits
    in a collective for a rank that stopped: the one that found it says it."""
    torch, dist = ctx["torch"], ctx["dist"]
    flag = torch.tensor([1 if error else 0], dtype=torch.int64, device=ctx["device"])
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    if error:
        raise ReplayError(error)
    if int(flag.item()):
        raise Stop()


def exchange_counts(ctx, b, where):
    """The senders say what they send: the receiver's sizes come from them,
    and must be the file's (an all-to-all of counts, as MoE kernels do)."""
    torch, rank, n = ctx["torch"], ctx["rank"], len(b.send)
    sent = torch.tensor(b.send, dtype=torch.int64, device=ctx["device"])
    told = torch.empty(n, dtype=torch.int64, device=ctx["device"])
    ctx["exchange"].move(told, sent, [1] * n, [1] * n)
    told = told.cpu().tolist()
    error = None
    if told != b.recv:
        error = "%s: rank %d expected %s bytes from the ranks, they sent %s" % (where, rank, b.recv, told)
    settle(ctx, error)
    return told


def verify(ctx, b, where):
    """Every byte from every rank against its pattern; the wrong ones counted."""
    torch, at, wrong = ctx["torch"], 0, []
    for src, size in enumerate(b.recv):
        if size:
            got = b.output[at:at + size]
            bad = int(torch.count_nonzero(got != pattern(torch, size, b.keys[src], ctx["device"])))
            if bad:
                wrong.append("%d of %d bytes from rank %d wrong" % (bad, size, src))
            at += size
    settle(ctx, "%s: rank %d received %s" % (where, ctx["rank"], "; ".join(wrong)) if wrong else None)


class Timer:
    """Microseconds of a phase on this rank: CUDA events on a GPU, the wall clock on a CPU."""

    def __init__(self, torch, device):
        self.torch, self.cuda = torch, device.type == "cuda"

    def __enter__(self):
        if self.cuda:
            self.start = self.torch.cuda.Event(enable_timing=True)
            self.end = self.torch.cuda.Event(enable_timing=True)
            self.start.record()
        else:
            self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.cuda:
            self.end.record()
            self.end.synchronize()
            self.us = self.start.elapsed_time(self.end) * 1000.0
        else:
            self.us = (time.perf_counter() - self.t0) * 1e6


def replay_phase(ctx, layer, phase, stages):
    """One phase of one layer: checked once, warmed up, timed; its bytes received and
    per-repetition times (the largest over the ranks)."""
    torch, dist, rank, device, opts = ctx["torch"], ctx["dist"], ctx["rank"], ctx["device"], ctx["opts"]
    bufs, received = [], []
    for stage in range(stages):
        where = "layer %d, %s stage %d" % (layer, phase, stage)
        b = StageBuffers(torch, ctx["traffic"], layer, phase, stage, rank, device)
        told = exchange_counts(ctx, b, where)
        received += [(layer, phase, stage, src, rank, size) for src, size in enumerate(told) if size]
        b.output.fill_(255)  # no pattern byte is 255: a byte never written is wrong
        ctx["exchange"].stage(b)
        if ctx["flip"] == (layer, phase, stage, rank) and b.output.numel():
            b.output[-1] ^= 1  # the test hook: one byte changed after it arrived
        verify(ctx, b, where)
        bufs.append(b)
    times = []
    for rep in range(opts.warmup + opts.iters):
        dist.barrier()
        with Timer(torch, device) as t:
            for b in bufs:
                ctx["exchange"].stage(b)
        if rep >= opts.warmup:
            times.append(t.us)
    for stage, b in enumerate(bufs):  # the last repetition's bytes too
        verify(ctx, b, "layer %d, %s stage %d (after timing)" % (layer, phase, stage))
    worst = torch.tensor(times, dtype=torch.float64, device=device)
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return received, worst.cpu().tolist()


def replay(ctx):
    """Every layer and phase; rank 0 gets the figures."""
    traffic, rank = ctx["traffic"], ctx["rank"]
    per_layer, received = [], []
    for layer in range(traffic.layers):
        for phase, stages in traffic.phases:
            got, times = replay_phase(ctx, layer, phase, stages)
            received += got
            per_layer.append((layer, phase, times))
        log(rank, "layer %d: %s" % (layer, ", ".join(
            "%s %.1f us" % (p, statistics.median(t)) for l, p, t in per_layer if l == layer)))
    return per_layer, received


# ---------------------------------------------------------------------------
# Outputs (rank 0).


def write_text(path, text):
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    temp = "%s.part-%d" % (path, os.getpid())
    try:
        with open(temp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(temp, path)
    except OSError as e:
        raise ReplayError("%s: cannot write (%s)" % (path, e.strerror))


def csv_text(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for r in rows:
        w.writerow(r)
    return out.getvalue()


def measurements(ctx, per_layer):
    """The measurement CSV: a row a phase, its columns the point's scenario settings."""
    traffic, opts = ctx["traffic"], ctx["opts"]
    header = traffic.header
    prefix = opts.name or header["scenario"]["name"]
    point = header["point"]
    comments = [
        "# measured by %s (torch %s): %s backend, %s (%s), %d warm-up and %d timed repetitions a phase" %
        (PROG, ctx["torch"].__version__, ctx["backend"], plural(len(traffic.ranks), "rank"), ctx["device_name"],
         opts.warmup, opts.iters),
        "# traffic: %s (scenario %s, fnv1a64 %s; moesim %s)" %
        (opts.traffic, header["scenario"]["path"], header["scenario"].get("fnv1a64", "?"),
         header.get("moesim_version", "?")),
        "# measured_us: mean over the %d layers of the median over repetitions of the largest time over ranks" %
        traffic.layers,
    ]
    rows = [["name"] + list(point) + ["phase", "measured_us"]]
    for phase, _ in traffic.phases:
        medians = [statistics.median(t) for l, p, t in per_layer if p == phase]
        rows.append(["%s-%s" % (prefix, phase)] + [point[k] for k in point] +
                    [phase, "%.3f" % max(statistics.fmean(medians), 0.001)])
    return "\n".join(comments) + "\n" + csv_text(rows)


def per_layer_text(per_layer):
    rows = [["layer", "phase", "median_us", "min_us", "max_us", "repetitions"]]
    for layer, phase, t in per_layer:
        rows.append([layer, phase, "%.3f" % statistics.median(t), "%.3f" % min(t), "%.3f" % max(t), len(t)])
    return csv_text(rows)


def received_text(traffic, everything):
    rows = sorted((l, PHASES.index(p), s, traffic.ranks[src], traffic.ranks[dst], b)
                  for part in everything for l, p, s, src, dst, b in part)
    return csv_text([COLUMNS] + [[l, PHASES[p], s, src, dst, b] for l, p, s, src, dst, b in rows])


# ---------------------------------------------------------------------------
# Start-up.


def device_of(torch, backend, rank):
    if backend == "nccl":
        local = int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count()
        torch.cuda.set_device(local)
        return torch.device("cuda", local), torch.cuda.get_device_name(local)
    return torch.device("cpu"), "cpu"


def worker(rank, traffic, opts, world):
    """One rank: init, replay, outputs from rank 0. Exits 1 after a
    ReplayError (its line printed), so every rank stops."""
    import torch
    import torch.distributed as dist
    try:
        dist.init_process_group(opts.backend, rank=rank, world_size=world)
        device, name = device_of(torch, opts.backend, rank)
        ctx = {"torch": torch, "dist": dist, "rank": rank, "device": device, "device_name": name, "opts": opts,
               "traffic": traffic, "backend": opts.backend, "exchange": Exchange(dist, opts.exchange, rank),
               "flip": flip_hook()}
        per_layer, received = replay(ctx)
        everything = [None] * world
        dist.all_gather_object(everything, received)
        if rank == 0:
            if opts.received:
                write_text(opts.received, received_text(traffic, everything))
            if opts.per_layer:
                write_text(opts.per_layer, per_layer_text(per_layer))
            write_text(opts.output, measurements(ctx, per_layer))
        dist.barrier()
        dist.destroy_process_group()
    except ReplayError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr, flush=True)
        sys.exit(1)
    except Stop:
        sys.exit(1)


def flip_hook():
    """MOESIM_REPLAY_FLIP=LAYER,PHASE,STAGE,RANK: a test hook (tests/harness/replay.sh)
    that changes the last byte that rank received in that stage before it is
    checked, so that the test sees the check fail."""
    value = os.environ.get("MOESIM_REPLAY_FLIP", "")
    if not value:
        return None
    layer, phase, stage, rank = value.split(",")
    return int(layer), phase, int(stage), int(rank)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(traffic, opts):
    """--nprocs: the ranks as local processes, the traffic already read and
    checked: forked from this one for gloo, spawned for NCCL (CUDA does not
    survive a fork)."""
    import torch.multiprocessing as mp
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    try:
        mp.start_processes(worker, args=(traffic, opts, opts.nprocs), nprocs=opts.nprocs,
                           start_method="fork" if opts.backend == "gloo" else "spawn")
    except mp.ProcessExitedException:
        return 1  # the rank said why
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("traffic", help="the header moesim traffic wrote (DIR/traffic.json)")
    p.add_argument("--nprocs", type=int, help="start this many local processes (else: under torchrun)")
    p.add_argument("--backend", choices=["nccl", "gloo"], help="default: nccl with CUDA, else gloo")
    p.add_argument("--exchange", choices=["a2a", "p2p"], default="a2a",
                   help="all_to_all_single (default; isend/irecv where the backend lacks it) or isend/irecv pairs")
    p.add_argument("--warmup", type=int, default=5, help="untimed repetitions a phase (default 5)")
    p.add_argument("--iters", type=int, default=50, help="timed repetitions a phase (default 50)")
    p.add_argument("-o", "--output", default="-", help="the measurement CSV ('-': stdout, the default)")
    p.add_argument("--name", help="points' name prefix (default: the scenario's name)")
    p.add_argument("--per-layer", help="also write each layer's phase times, CSV ('-': stdout)")
    p.add_argument("--received", help="also write the bytes each rank received from each, CSV ('-': stdout)")
    opts = p.parse_args(argv)
    for key in ["warmup", "iters", "nprocs"]:
        value = getattr(opts, key)
        if value is not None and value < (1 if key != "warmup" else 0):
            raise ReplayError("--%s: %d is too small" % (key, value))
    for key in ["output", "per_layer", "received"]:  # refused now, not after the run
        path = getattr(opts, key)
        folder = os.path.dirname(path or "") or "."
        if path not in (None, "-") and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise ReplayError("--%s: %s: no folder to write it in (%s)" % (key.replace("_", "-"), path, folder))
    outputs = [k for k in ["output", "per_layer", "received"] if getattr(opts, k) == "-"]
    if len(outputs) > 1:
        raise ReplayError("--%s: only one output can go to stdout ('-'); --%s already does" %
                          (outputs[1].replace("_", "-"), outputs[0].replace("_", "-")))
    return opts


def main(argv):
    os.environ["NCCL_NVLS_ENABLE"] = "0"  # NVLink multicast off (the GPU machines' notes ask it)
    try:
        opts = parse_args(argv)
        traffic = load_traffic(opts.traffic)
        world = opts.nprocs if opts.nprocs is not None else int(os.environ.get("WORLD_SIZE", "0"))
        if world == 0:
            raise ReplayError("--nprocs: give the number of processes, or run under torchrun")
        if world != len(traffic.ranks):
            raise ReplayError("%s: ranks: the traffic is of %s, but %d processes run it (%s)" % (
                opts.traffic, traffic.chips_text(), world,
                "--nprocs" if opts.nprocs is not None else "torchrun's WORLD_SIZE"))
    except ReplayError as e:
        if os.environ.get("RANK", "0") == "0":
            print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 2
    import torch  # after the checks: a bad file is refused at once
    if opts.backend is None:
        opts.backend = "nccl" if torch.cuda.is_available() else "gloo"
    if opts.nprocs is not None:
        return spawn(traffic, opts)
    worker(int(os.environ.get("RANK", "0")), traffic, opts, world)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
