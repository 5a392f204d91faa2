"""Writes a U-Net colorizer scripted in Python (the default model's shape:
depth 7, width 32, resize-convolution decoder), saved with colorize.json, for
bench-first-call to compare with a file made by colorize-train.

Usage: make_python_unet.py OUT.pt
"""
import json
import sys

import torch
from torch import nn
import torch.nn.functional as F


class Down(nn.Module):
    def __init__(self, cin, cout, norm=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)
        self.norm = nn.BatchNorm2d(cout) if norm else nn.Identity()

    def forward(self, x):
        return self.norm(self.conv(F.leaky_relu(x, 0.2)))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.norm(self.conv(F.interpolate(F.relu(x), scale_factor=2.0, mode="nearest")))


class UNet(nn.Module):
    def __init__(self, depth=7, width=32):
        super().__init__()
        chans = [min(width * 2 ** i, width * 8) for i in range(depth)]
        self.first = nn.Conv2d(1, chans[0], 4, 2, 1)
        self.downs = nn.ModuleList(Down(chans[i - 1], chans[i], i < depth - 1) for i in range(1, depth))
        ups = []
        for i in range(depth - 1, 0, -1):
            cin = chans[i] if i == depth - 1 else 2 * chans[i]
            ups.append(Up(cin, chans[i - 1]))
        self.ups = nn.ModuleList(ups)
        self.head = nn.Conv2d(2 * chans[0], 2, 3, 1, 1)

    def forward(self, x):
        skips = [self.first(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        y = skips[-1]
        for i, up in enumerate(self.ups):
            y = up(y)
            y = torch.cat([y, skips[-2 - i]], 1)
        y = torch.tanh(self.head(F.relu(y)))
        return F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)


def main():
    torch.manual_seed(0)
    model = UNet().eval()
    meta = {"format_version": 1, "color_space": "lab", "input_size": 128, "size_multiple": 128,
            "normalization": {"l_scale": 50.0, "l_offset": -1.0, "ab_scale": 110.0},
            "name": "U-Net scripted in Python (benchmark)", "license": "CC0-1.0",
            "architecture": {"type": "python-unet"}}
    torch.jit.save(torch.jit.script(model), sys.argv[1], _extra_files={"colorize.json": json.dumps(meta)})


if __name__ == "__main__":
    main()
