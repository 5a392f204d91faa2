#!/usr/bin/env python3
"""Exports a small colorize model from Python, as models/README.md shows.

Usage: make_python_model.py OUT_DIR

Writes OUT_DIR/python-model.pt (a scripted torch.nn.Module with colorize.json)
and OUT_DIR/python-output.txt: the model's output for the input
x[0, 0, i, j] = sin(0.1 * i + 0.2 * j) of shape [1, 1, 16, 24], as one float
per line in [N, C, H, W] order, for the C++ test to compare with.
"""
import json
import math
import os
import sys

import torch
from torch import nn


class TinyColorizer(nn.Module):
    """L in, a,b out; H and W must be multiples of 4."""

    def __init__(self):
        super().__init__()
        self.encode = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(16, 16, 4, stride=2, padding=1), nn.ReLU())
        self.decode = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 2, 4, stride=2, padding=1), nn.Dropout(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.decode(self.encode(x))
        # Resampling as Python models usually do it (F.interpolate brings
        # in all its branches when scripted).
        y = nn.functional.interpolate(y, size=(x.shape[2], x.shape[3]), mode="bilinear",
                                      align_corners=False)
        return torch.tanh(y)


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(0)
    model = TinyColorizer()
    # Give batch norm non-trivial running statistics.
    with torch.no_grad():
        model.train()
        model(torch.randn(4, 1, 16, 16))
    model.eval()

    metadata = {
        "format_version": 1,
        "color_space": "lab",
        "input_size": 16,
        "size_multiple": 4,
        "normalization": {"l_scale": 50.0, "l_offset": -1.0, "ab_scale": 110.0},
        "name": "tiny python test model",
        "license": "CC0-1.0",
        "architecture": {"type": "TinyColorizer"},
    }
    scripted = torch.jit.script(model)
    torch.jit.save(scripted, os.path.join(out_dir, "python-model.pt"),
                   _extra_files={"colorize.json": json.dumps(metadata)})

    h, w = 16, 24
    x = torch.tensor([[math.sin(0.1 * i + 0.2 * j) for j in range(w)]
                      for i in range(h)], dtype=torch.float32).view(1, 1, h, w)
    with torch.no_grad():
        y = scripted(x)
    with open(os.path.join(out_dir, "python-output.txt"), "w") as f:
        for v in y.flatten().tolist():
            f.write(repr(v) + "\n")


if __name__ == "__main__":
    main()
