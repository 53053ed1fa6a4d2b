#!/usr/bin/env python3
"""PyTorch on the CPU, on the workloads of jnn's own benchmarks (docs/BENCHMARKS.md), for the same
machine and the same sitting as `./jnn bench mlp|cnn|lstm|gemm`:

  mlp  : 10 -> Dense(50, ReLU) -> Dense(1, Sigmoid), BCE, Adam lr 1e-3, batch 32    (jnn bench mlp)
  cnn  : the tutorial CNN (Conv(1->32,3) ReLU MaxPool2 Conv(32->64,3) ReLU MaxPool2 Conv(64->64,3)
         ReLU Flatten Linear(576->64) ReLU Linear(64->10)), cross-entropy, Adam lr 1e-3, batch 64 of
         28x28x1; training step and inference (eval, no_grad)                     (jnn bench cnn)
  lstm : one-hot input [32, 64, 80] -> LSTM(80->128, 2 layers, batch_first) -> Linear(128->80) at
         every step, cross-entropy over the 2048 targets, Adam                     (jnn bench lstm)
  mm   : torch.mm of n x n float32, n = 256, 1024, 2048                           (jnn bench gemm)

Usage:  python3 docs/peers/torch_cpu_bench.py [mlp|cnn|lstm|mm ...]   (default: all)
Needs:  PyTorch for the CPU (`pip install torch`, or Debian's `apt-get install python3-torch`).
        Without it the script prints why and exits with status 0, measuring nothing.
Threads: torch.set_num_threads(THREADS), default every processor (jnn's default too).

Each figure is the median of RUNS timed runs (min..max) after a warm-up, on synthetic data made
once before timing (8 batches, cycled), as jnn's benchmarks do. One line per figure:
  <bench> <metric> <median> [<min>..<max>] <unit>
"""
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # the comparison is optional: say why and measure nothing
    print("torch_cpu_bench: skipped, PyTorch is not installed (%s); install it with `pip install torch` "
          "or `apt-get install python3-torch`" % e)
    sys.exit(0)

RUNS = int(os.environ.get("RUNS", 9))
THREADS = int(os.environ.get("THREADS", os.cpu_count() or 1))
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def timed(step, warm, steps):
    """Seconds per step: median, min, max over RUNS runs of `steps` steps, after `warm` steps."""
    for i in range(warm):
        step(i)
    per = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        per.append((time.perf_counter() - t0) / steps)
    return statistics.median(per), min(per), max(per)


def report(bench, metric, seconds, per_step, unit):
    """Prints a rate: per_step units per step, so the slowest run gives the minimum."""
    med, lo, hi = seconds
    print("%-5s %-10s %12.1f [%.1f..%.1f] %s" % (bench, metric, per_step / med, per_step / hi, per_step / lo, unit), flush=True)


def train_step(net, opt, lossf, xs, ys):
    def step(i):
        opt.zero_grad(set_to_none=False)
        lossf(net(xs[i % len(xs)]), ys[i % len(ys)]).backward()
        opt.step()
    return step


def mlp():
    net = nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Linear(50, 1), nn.Sigmoid())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xs = [torch.randn(32, 10) for _ in range(8)]
    ys = [torch.randint(0, 2, (32, 1)).float() for _ in range(8)]
    report("mlp", "train", timed(train_step(net, opt, nn.BCELoss(), xs, ys), 10000, 2000), 1, "steps/s (batch 32)")


def cnn():
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xs = [torch.randn(64, 1, 28, 28) for _ in range(8)]
    ys = [torch.randint(0, 10, (64,)) for _ in range(8)]
    report("cnn", "train", timed(train_step(net, opt, nn.CrossEntropyLoss(), xs, ys), 15, 20), 64, "samples/s (batch 64)")
    net.eval()

    def infer(i):
        with torch.no_grad():
            net(xs[i % 8])
    report("cnn", "inference", timed(infer, 20, 50), 64, "samples/s (batch 64)")


class CharLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(80, 128, num_layers=2, batch_first=True)
        self.out = nn.Linear(128, 80)

    def forward(self, x):
        return self.out(self.lstm(x)[0])


def lstm():
    net = CharLstm()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    lossf = nn.CrossEntropyLoss()
    ids = [torch.randint(0, 80, (32, 65)) for _ in range(8)]
    xs = [nn.functional.one_hot(t[:, :64], 80).float() for t in ids]
    ys = [t[:, 1:].reshape(-1) for t in ids]

    def step(i):
        opt.zero_grad(set_to_none=False)
        lossf(net(xs[i % 8]).reshape(-1, 80), ys[i % 8]).backward()
        opt.step()
    report("lstm", "train", timed(step, 5, 20), 32 * 64, "tokens/s (batch 32 x seq 64)")


def mm():
    for n in (256, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        steps = max(1, int(0.3 / (2.0 * n ** 3 / 100e9)))   # about 0.3 s per run at 100 GFLOP/s
        report("mm", "n=%d" % n, timed(lambda i: torch.mm(a, b), steps // 2 + 1, steps), 2.0 * n ** 3 / 1e9, "GFLOP/s")


BENCHES = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "mm": mm}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            print("torch_cpu_bench: unknown benchmark '%s' (choose from: %s)" % (name, ", ".join(BENCHES)), file=sys.stderr)
            sys.exit(2)
    print("PyTorch %s, %d thread(s), %d runs per figure, median [min..max]" % (torch.__version__, torch.get_num_threads(), RUNS))
    for name in names:
        BENCHES[name]()
