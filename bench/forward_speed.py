#!/usr/bin/env python3
"""CPU forward time of colorize model files, side by side in one run.

    /usr/bin/python3 bench/forward_speed.py [--size 256] [--threads 2] [--rounds 20] MODEL.pt...

Loads each model file as the core does (float32, eval, inference mode),
warms each up at the size, then times one forward of a [1, 1, size, size]
input per model per round, the models taking turns so that machine load
affects all alike. Prints the median and the fastest time of each.
"""
import argparse
import statistics
import time

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    models = [(m, torch.jit.load(m, map_location="cpu").float().eval()) for m in a.models]
    x = torch.zeros(1, 1, a.size, a.size)
    times = {m: [] for m, _ in models}
    with torch.inference_mode():
        for _, net in models:
            for _ in range(3):
                net(x)
        for _ in range(a.rounds):
            for name, net in models:
                t0 = time.perf_counter()
                net(x)
                times[name].append(time.perf_counter() - t0)
    print(f"forward of [1, 1, {a.size}, {a.size}], {a.threads} threads, {a.rounds} rounds, torch {torch.__version__}")
    for name, t in times.items():
        print(f"{statistics.median(t) * 1000:8.1f} ms median {min(t) * 1000:8.1f} ms fastest  {name}")


if __name__ == "__main__":
    main()
