"""Writes the standard Pix2Pix U-Net generator (8 levels, 64 filters,
transposed-convolution decoder, 54.4 M parameters: colorize-train's default
architecture) written the way a PyTorch user writes it, with torch.nn
modules, scripted with torch.jit.script and saved with colorize.json.

With FROM.pt (the same architecture saved by colorize-train), its weights
are copied in, so both files compute the same function and
bench-first-call compares only how each is written and run.

Usage: make_python_unet.py OUT.pt [FROM.pt]
"""
import json
import sys

import torch
from torch import nn

DEPTH, WIDTH, DROPOUT_BLOCKS = 8, 64, 3


def filters(level):
    return WIDTH * 2 ** min(level, 3)


class Down(nn.Module):
    """[LeakyReLU] conv 4x4 / 2 [BatchNorm]."""

    def __init__(self, i):
        super().__init__()
        outermost, innermost = i == 0, i == DEPTH - 1
        cin = 1 if outermost else filters(i - 1)
        self.act = nn.Identity() if outermost else nn.LeakyReLU(0.2)
        self.conv = nn.Conv2d(cin, filters(i), 4, 2, 1, bias=False)
        self.norm = nn.Identity() if outermost or innermost else nn.BatchNorm2d(filters(i))

    def forward(self, x):
        return self.norm(self.conv(self.act(x)))


class Up(nn.Module):
    """ReLU, transposed conv 4x4 / 2, then BatchNorm [+ Dropout], or Tanh outermost."""

    def __init__(self, i):
        super().__init__()
        outermost, innermost = i == 0, i == DEPTH - 1
        cin = filters(i) if innermost else 2 * filters(i)
        cout = 2 if outermost else filters(i - 1)
        self.conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=outermost)
        if outermost:
            self.post = nn.Tanh()
        elif i >= DEPTH - DROPOUT_BLOCKS:
            self.post = nn.Sequential(nn.BatchNorm2d(cout), nn.Dropout(0.5))
        else:
            self.post = nn.Sequential(nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.post(self.conv(torch.relu(x)))


class UNet(nn.Module):
    """Encoder levels 0..7, decoder levels 7..0 (stored innermost first)."""

    def __init__(self):
        super().__init__()
        self.depth = DEPTH
        self.downs = nn.ModuleList(Down(i) for i in range(DEPTH))
        self.ups = nn.ModuleList(Up(i) for i in reversed(range(DEPTH)))

    def forward(self, x):
        skips = []
        y = x
        for down in self.downs:
            y = down(y)
            skips.append(y)
        for i, up in enumerate(self.ups):
            if i > 0:
                y = torch.cat([skips[self.depth - 1 - i], y], 1)
            y = up(y)
        return y


def copy_weights(model, path):
    """Takes the tensors of colorize-train's file: downI.weight, downI.bn_*,
    upI.weight / bias, upI.bn_*."""
    ours = torch.jit.load(path, map_location="cpu")
    state = {n: t for n, t in ours.named_parameters()}
    state.update({n: t for n, t in ours.named_buffers()})
    names = {"bn_weight": "weight", "bn_bias": "bias", "bn_mean": "running_mean", "bn_var": "running_var"}
    mapped = {}
    for name, t in state.items():
        block, key = name.split(".", 1)
        kind, i = ("downs", int(block[4:])) if block.startswith("down") else ("ups", DEPTH - 1 - int(block[2:]))
        if key in ("weight", "bias"):
            mapped[f"{kind}.{i}.conv.{key}"] = t
        else:
            norm = "norm" if kind == "downs" else "post.0"
            mapped[f"{kind}.{i}.{norm}.{names[key]}"] = t
    missing = model.load_state_dict(mapped, strict=False)
    left = [k for k in missing.missing_keys if not k.endswith("num_batches_tracked")]
    if left or missing.unexpected_keys:
        raise SystemExit(f"{path}: not the standard U-Net ({left or missing.unexpected_keys})")


def main():
    torch.manual_seed(0)
    model = UNet()
    if len(sys.argv) > 2:
        copy_weights(model, sys.argv[2])
    model.eval()
    meta = {"format_version": 1, "color_space": "lab", "input_size": 256, "size_multiple": 2 ** DEPTH,
            "normalization": {"l_scale": 50.0, "l_offset": -1.0, "ab_scale": 110.0},
            "name": "standard U-Net scripted in Python (benchmark)", "license": "CC0-1.0",
            "architecture": {"type": "python-unet"}}
    torch.jit.save(torch.jit.script(model), sys.argv[1], _extra_files={"colorize.json": json.dumps(meta)})


if __name__ == "__main__":
    main()
