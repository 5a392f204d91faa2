#!/usr/bin/env python3
"""A colorize model file run the way a Python user would: a reference pipeline.

    /usr/bin/python3 bench/python_reference.py [--threads 2] MODEL.pt IN OUT.jpg

PyTorch (Debian's python3-torch) for the network and scikit-image
(python3-skimage) for everything else, whole pictures in memory: read IN,
CIE Lab of the whole picture, L resized to the model's working size (short
side input_size, padded to size_multiple), one forward, a,b resized back to
full resolution (bilinear), joined with the full-resolution L, back to RGB,
saved as JPEG quality 90. The model's colorize.json gives the normalisation;
a hint model gets empty hint channels. bench/python_reference.sh times it
against the colorize program.
"""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F
from skimage import color, io, transform


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    extra = {"colorize.json": ""}
    net = torch.jit.load(a.model, map_location="cpu", _extra_files=extra).float().eval()
    meta = json.loads(extra["colorize.json"])
    norm = meta.get("normalization", {})
    l_scale, l_offset = norm.get("l_scale", 50.0), norm.get("l_offset", -1.0)
    ab_scale = norm.get("ab_scale", 110.0)
    size, multiple = meta["input_size"], meta["size_multiple"]

    image = io.imread(a.input)
    if image.ndim == 2:
        image = color.gray2rgb(image)
    lab = color.rgb2lab(image[..., :3])
    L = lab[..., 0]
    h, w = L.shape
    scale = size / min(h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = transform.resize(L, (sh, sw), anti_aliasing=True)
    x = torch.from_numpy(small / l_scale + l_offset).float()[None, None]
    ph, pw = -sh % multiple, -sw % multiple
    x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    if meta.get("hints"):
        x = torch.cat([x, torch.zeros(1, 3, *x.shape[2:])], 1)
    with torch.inference_mode():
        ab = net(x)[0, :, :sh, :sw].numpy().transpose(1, 2, 0) * ab_scale
    ab_full = transform.resize(ab, (h, w), order=1)
    rgb = color.lab2rgb(np.dstack([L, ab_full]))
    io.imsave(a.output, (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8), quality=90)


if __name__ == "__main__":
    main()
