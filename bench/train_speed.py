#!/usr/bin/python3
"""Training speed of the default colorize-train recipe, written in PyTorch
Python, for comparison with the C++ trainer (same LibTorch when run with
Debian's /usr/bin/python3 + python3-torch).

The networks mirror trainer/nets.cpp: U-Net generator (4x4 convs stride 2,
filters width * min(2^i, 8), batch norm except outermost/innermost encoder
blocks, LeakyReLU 0.2 down / ReLU up, dropout 0.5 in the 3 innermost decoder
blocks, tanh output) and a PatchGAN discriminator (64-128-256 strided, 512
stride 1, 1-channel output). Loss: BCE-with-logits + 100 * L1, Adam 2e-4,
betas (0.5, 0.999). Data: random tensors (the C++ trainer prepares real
crops in a worker thread, which costs well under 1% of a step).

Usage: /usr/bin/python3 bench/train_speed.py [--size 128] [--batch 16]
           [--depth 7] [--width 32] [--threads 2] [--steps 10] [--warmup 2]
Prints images/s and images per CPU-second for L1-only and GAN + L1 steps.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def filters(width, level):
    return width * min(2 ** min(level, 3), 8)


class UNet(nn.Module):
    def __init__(self, depth, width, out_channels=2):
        super().__init__()
        self.depth = depth
        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        for i in range(depth):
            cin = 1 if i == 0 else filters(width, i - 1)
            cout = filters(width, i)
            layers = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(cin, cout, 4, 2, 1, bias=False))
            if 0 < i < depth - 1:
                layers.append(nn.BatchNorm2d(cout))
            self.down.append(nn.Sequential(*layers))
        for i in range(depth):
            level = filters(width, i)
            cin = level if i == depth - 1 else 2 * level
            cout = out_channels if i == 0 else filters(width, i - 1)
            layers = [nn.ReLU(), nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=(i == 0))]
            if i == 0:
                layers.append(nn.Tanh())
            else:
                layers.append(nn.BatchNorm2d(cout))
                if i >= depth - 3:
                    layers.append(nn.Dropout(0.5))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
        y = self.up[self.depth - 1](skips[-1])
        for i in range(self.depth - 2, -1, -1):
            y = self.up[i](torch.cat([skips[i], y], 1))
        return y


def patchgan(in_channels=3, width=64, layers=3):
    mods = []
    cin = in_channels
    for i in range(layers + 2):
        last = i == layers + 1
        cout = 1 if last else filters(width, i)
        stride = 2 if i < layers else 1
        bn = i != 0 and not last
        mods.append(nn.Conv2d(cin, cout, 4, stride, 1, bias=not bn))
        if bn:
            mods.append(nn.BatchNorm2d(cout))
        if not last:
            mods.append(nn.LeakyReLU(0.2))
        cin = cout
    return nn.Sequential(*mods)


def init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--depth", type=int, default=7)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    g, d = UNet(a.depth, a.width), patchgan()
    g.apply(init)
    d.apply(init)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.rand(a.batch, 1, a.size, a.size) * 2 - 1
    y = torch.rand(a.batch, 2, a.size, a.size) * 2 - 1
    n_g = sum(t.numel() for t in g.parameters())
    n_d = sum(t.numel() for t in d.parameters())
    print(f"torch {torch.__version__}, {a.threads} threads, generator {n_g / 1e6:.2f} M, "
          f"discriminator {n_d / 1e6:.2f} M parameters, {a.size}x{a.size}, batch {a.batch}")

    def l1_step():
        fake = g(x)
        loss = F.l1_loss(fake, y)
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()

    def gan_step():
        fake = g(x)
        for t in d.parameters():
            t.requires_grad_(True)
        real_pred = d(torch.cat([x, y], 1))
        fake_pred = d(torch.cat([x, fake.detach()], 1))
        loss_d = 0.5 * (F.binary_cross_entropy_with_logits(real_pred, torch.ones_like(real_pred))
                        + F.binary_cross_entropy_with_logits(fake_pred, torch.zeros_like(fake_pred)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        for t in d.parameters():
            t.requires_grad_(False)
        pred = d(torch.cat([x, fake], 1))
        loss_g = F.binary_cross_entropy_with_logits(pred, torch.ones_like(pred)) + 100 * F.l1_loss(fake, y)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    g.train()
    d.train()
    for name, step in (("L1 only", l1_step), ("GAN + L1", gan_step)):
        for _ in range(a.warmup):
            step()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.steps):
            step()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        n = a.steps * a.batch
        print(f"Python {a.size}x{a.size}: {name} {n / dt:.2f} images/s, {n / dc:.3f} images per CPU-second "
              f"({dt / a.steps:.2f} s/step)")


if __name__ == "__main__":
    main()
