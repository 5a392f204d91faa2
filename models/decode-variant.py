#!/usr/bin/python3
"""Re-decode an exported two-head model (regression r + colour classes c, see
models/README.md) with another rule, to score decodings of the same weights
with `colorize-train eval` without a checkpoint:

  decode-variant.py IN.pt OUT.pt MODE P1 [P2 [P3]]

MODE blend  P1=w                  a,b = r + w (c - r)     (what the trainer exports)
MODE conf   P1=wmax P2=t0 P3=t1   the same with a per-pixel w = wmax * clamp((pmax - t0) / (t1 - t0), 0, 1),
                                  pmax the largest class probability (temperature 1)
MODE scale  P1=s                  a,b = s r
MODE chroma P1=w                  the hue of r with the chroma |r| + w (|c| - |r|)
MODE sblend P1=s P2=w             a,b = s r + w (c - s r)

Needs python3-torch (the same LibTorch as the build); OUT keeps IN's colorize.json.
"""
import json
import sys

import torch
import torch.nn.functional as F


class Dec(torch.nn.Module):
    def __init__(self, g, mode: int, p1: float, p2: float, p3: float):
        super().__init__()
        self.g = g
        self.mode = mode
        self.p1 = p1
        self.p2 = p2
        self.p3 = p3
        self.temperature = float(g.temperature)
        self.register_buffer("bin_kernel", g.bin_kernel.float())

    def forward(self, x):
        h = self.g.trunk(x)
        r = self.g.head.regress(h)
        z = self.g.head.classify(F.avg_pool2d(h, [2, 2]))
        p = torch.softmax(z / self.temperature, 1)
        c = F.interpolate(torch.conv2d(p, self.bin_kernel), scale_factor=2.0, mode="bilinear", align_corners=False)
        if self.mode == 0:
            y = r + self.p1 * (c - r)
        elif self.mode == 1:
            pmax = torch.softmax(z, 1).amax(1, keepdim=True)
            pmax = F.interpolate(pmax, scale_factor=2.0, mode="bilinear", align_corners=False)
            w = self.p1 * torch.clamp((pmax - self.p2) / (self.p3 - self.p2), 0.0, 1.0)
            y = r + w * (c - r)
        elif self.mode == 2:
            y = r * self.p1
        elif self.mode == 4:
            sr = r * self.p1
            y = sr + self.p2 * (c - sr)
        else:
            nr = torch.sqrt((r * r).sum(1, keepdim=True) + 1e-8)
            nc = torch.sqrt((c * c).sum(1, keepdim=True) + 1e-8)
            y = r / nr * (nr + self.p1 * (nc - nr))
        y = torch.clamp(y, -1.0, 1.0)
        return F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)


def main():
    src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    ps = [float(v) for v in sys.argv[4:]] + [0.0, 0.0, 0.0]
    extra = {"colorize.json": ""}
    g = torch.jit.load(src, _extra_files=extra)
    g.float()
    meta = json.loads(extra["colorize.json"])
    modes = {"blend": 0, "conf": 1, "scale": 2, "chroma": 3, "sblend": 4}
    m = torch.jit.script(Dec(g, modes[mode], ps[0], ps[1], ps[2]).eval())
    meta["name"] = f"{mode} {' '.join(sys.argv[4:])}"
    torch.jit.save(m, dst, _extra_files={"colorize.json": json.dumps(meta)})


if __name__ == "__main__":
    main()
