# The GIMP 3.0 end-to-end cases, run by gimp-console-3.0 with
# --batch-interpreter=python-fu-eval (tests/plugin/gimp3_test.cpp starts it).
# Each case makes its own images from the fixture photo, calls the plug-in
# through the PDB and asserts on the pixels (read as CIE Lab through GEGL).
# It prints "CASE <name> ok" or "CASE <name> FAIL: <why>"; the C++ driver
# turns each line into a test. Set by the driver:
#   COLORIZE_T_PHOTO     a colour photo (tests/data/chelsea.png)
#   COLORIZE_T_MODEL     a small untrained model file
#   COLORIZE_T_MISSING   a model path that does not exist
#   COLORIZE_T_GARBAGE   a file that is not a model
#   COLORIZE_T_CASES     comma-separated case names to run (default: all)

import array
import os
import sys
import traceback

import gi
gi.require_version('Babl', '0.1')
gi.require_version('Gegl', '0.4')
gi.require_version('Gimp', '3.0')
from gi.repository import Babl, Gegl, Gimp, Gio

PROC = 'plug-in-colorize-pix2pix'
W, H = 160, 120
RECT = (40, 30, 60, 50)  # x, y, width, height of the "rect" selection


# ---------------------------------------------------------------- helpers

def photo_image():
    """The fixture photo at W x H, colour removed (RGB, 8 bit)."""
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                           Gio.File.new_for_path(os.environ['COLORIZE_T_PHOTO']))
    image.scale(W, H)
    layer = image.get_layers()[0]
    if layer.has_alpha():
        layer.remove_alpha()
    layer.desaturate(Gimp.DesaturateMode.LUMINANCE)
    return image, layer


def read(drawable, fmt):
    """All pixels of `drawable` in babl format `fmt` as a flat float array."""
    buf = drawable.get_buffer()
    data = buf.get(buf.get_extent(), 1.0, fmt, Gegl.AbyssPolicy.CLAMP)
    values = array.array('f')
    values.frombytes(bytes(data))
    return values


def lab(drawable):
    """(L, a, b) lists of `drawable`, through babl's CIE Lab."""
    v = read(drawable, 'CIE Lab float')
    return v[0::3], v[1::3], v[2::3]


def mean_chroma(drawable, where=None):
    _, a, b = lab(drawable)
    idx = range(len(a)) if where is None else where
    n = 0
    total = 0.0
    for i in idx:
        total += (a[i] * a[i] + b[i] * b[i]) ** 0.5
        n += 1
    return total / max(n, 1)


def l_difference(before_l, drawable):
    after_l, _, _ = lab(drawable)
    assert len(after_l) == len(before_l), 'size changed'
    d = [abs(x - y) for x, y in zip(before_l, after_l)]
    return sum(d) / len(d), max(d)


def pixels(drawable):
    """Raw pixels at the drawable's own format, as bytes."""
    return bytes(read_raw(drawable))


def read_raw(drawable):
    buf = drawable.get_buffer()
    return buf.get(buf.get_extent(), 1.0,
                   Babl.format_get_encoding(drawable.get_format()),
                   Gegl.AbyssPolicy.CLAMP)


def changed_pixels(before, after, bpp):
    return [i // bpp for i in range(0, len(before), bpp)
            if before[i:i + bpp] != after[i:i + bpp]]


def colorize(image, drawable, model=None, output='replace', device='cpu'):
    """Runs the plug-in; returns (status, error message or None)."""
    proc = Gimp.get_pdb().lookup_procedure(PROC)
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', image)
    cfg.set_core_object_array('drawables', [drawable])
    cfg.set_property('model-file',
                     Gio.File.new_for_path(model or os.environ['COLORIZE_T_MODEL']))
    cfg.set_property('device', device)
    cfg.set_property('output', output)
    result = proc.run(cfg)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 else None
    return status, message


def colorize_ok(image, drawable, **kw):
    status, message = colorize(image, drawable, **kw)
    assert status == Gimp.PDBStatusType.SUCCESS, \
        'plug-in failed: %s %s' % (status, message)


def expect_colorized(before_l, drawable, max_mean_dl=0.5, max_dl=3.0):
    chroma = mean_chroma(drawable)
    assert chroma > 2.0, 'not colorized: mean chroma %.3f' % chroma
    mean, worst = l_difference(before_l, drawable)
    assert mean < max_mean_dl and worst < max_dl, \
        'lightness changed: |dL| mean %.3f max %.3f' % (mean, worst)
    return chroma, mean, worst


# ------------------------------------------------------------------ cases

def case_registered():
    proc = Gimp.get_pdb().lookup_procedure(PROC)
    assert proc is not None, PROC + ' is not registered'
    assert proc.get_image_types() == 'RGB*, GRAY*', proc.get_image_types()
    assert '<Image>/Filters/Colors' in proc.get_menu_paths(), \
        proc.get_menu_paths()
    names = [a.name for a in proc.get_arguments()]
    for name in ('model-file', 'device', 'resolution', 'strength', 'output'):
        assert name in names, '%s missing from %s' % (name, names)


def case_whole():
    image, layer = photo_image()
    before_l, _, _ = lab(layer)
    assert mean_chroma(layer) < 0.5, 'input is not gray'
    colorize_ok(image, layer)
    chroma, mean, worst = expect_colorized(before_l, layer)
    print('whole: chroma %.2f |dL| mean %.3f max %.3f' % (chroma, mean, worst))


def case_rect():
    image, layer = photo_image()
    before = pixels(layer)
    x0, y0, w, h = RECT
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x0, y0, w, h)
    colorize_ok(image, layer)
    changed = changed_pixels(before, pixels(layer), 3)
    outside = [i for i in changed
               if not (x0 <= i % W < x0 + w and y0 <= i // W < y0 + h)]
    assert not outside, '%d pixels outside the selection changed' % len(outside)
    assert len(changed) > w * h // 2, \
        'only %d of %d selected pixels changed' % (len(changed), w * h)


def case_alpha():
    image, layer = photo_image()
    layer.add_alpha()
    # alpha ramp from left (0) to right (255)
    ramp = bytearray(pixels(layer))
    for i in range(W * H):
        ramp[4 * i + 3] = round(255 * (i % W) / (W - 1))
    buf = layer.get_buffer()
    buf.set(buf.get_extent(), Babl.format_get_encoding(layer.get_format()),
            bytes(ramp))
    buf.flush()
    layer.update(0, 0, W, H)
    alpha_before = pixels(layer)[3::4]
    colorize_ok(image, layer)
    after = pixels(layer)
    assert after[3::4] == alpha_before, 'alpha changed'
    opaque = [i for i in range(W * H) if after[4 * i + 3] > 0]
    chroma = mean_chroma(layer, opaque)
    assert chroma > 2.0, 'not colorized: mean chroma %.3f' % chroma


def case_graymode():
    image, layer = photo_image()
    image.convert_grayscale()
    layer = image.get_layers()[0]
    before_l, _, _ = lab(layer)
    colorize_ok(image, layer)
    assert image.get_base_type() == Gimp.ImageBaseType.RGB, \
        'image not converted to RGB'
    layer = image.get_layers()[0]
    expect_colorized(before_l, layer)


def case_rgb16():
    image, layer = photo_image()
    image.convert_precision(Gimp.Precision.U16_NON_LINEAR)
    layer = image.get_layers()[0]
    before_l, _, _ = lab(layer)
    colorize_ok(image, layer)
    assert image.get_precision() == Gimp.Precision.U16_NON_LINEAR, \
        'precision changed to %s' % image.get_precision()
    chroma, mean, worst = expect_colorized(before_l, layer)
    # L where no channel was clipped to the gamut: far below an 8-bit step
    # (about 0.4); babl's Lab (D50) and the core's (D65) differ by ~0.02
    after_l, _, _ = lab(layer)
    rgb = read(layer, "R'G'B' float")
    lo, hi = 1.0 / 65535, 1.0 - 1.0 / 65535
    inside = [i for i in range(W * H)
              if all(lo < rgb[3 * i + c] < hi for c in range(3))]
    assert len(inside) > W * H // 2, 'only %d unclipped pixels' % len(inside)
    d = [abs(before_l[i] - after_l[i]) for i in inside]
    mean, worst = sum(d) / len(d), max(d)
    print('rgb16: chroma %.2f unclipped |dL| mean %.4f max %.4f'
          % (chroma, mean, worst))
    assert mean < 0.05 and worst < 0.1, \
        'lightness changed: |dL| mean %.4f max %.4f' % (mean, worst)
    # values an 8-bit round trip could not produce
    raw = array.array('H')
    raw.frombytes(pixels(layer))
    fine = sum(1 for v in raw if v % 257)
    assert fine > len(raw) // 2, 'only %d of %d values off the 8-bit grid' \
        % (fine, len(raw))


def case_feather():
    image, layer = photo_image()
    before = pixels(layer)
    x0, y0, w, h = RECT
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x0, y0, w, h)
    Gimp.Selection.feather(image, 16)
    colorize_ok(image, layer)
    after = pixels(layer)
    full_image, full_layer = photo_image()
    colorize_ok(full_image, full_layer)
    full = pixels(full_layer)
    # far from the rectangle (more than the feather radius): untouched
    far = [i for i in changed_pixels(before, after, 3)
           if not (x0 - 20 <= i % W < x0 + w + 20 and
                   y0 - 20 <= i // W < y0 + h + 20)]
    assert not far, '%d pixels far from the selection changed' % len(far)
    # partly selected pixels: between the input and full colorization
    partial = set(changed_pixels(before, after, 3)) & \
        set(changed_pixels(full, after, 3))
    assert len(partial) > 100, 'only %d partly changed pixels' % len(partial)
    over = [i for i in range(len(after))
            if abs(after[i] - before[i]) > abs(full[i] - before[i]) + 2]
    assert not over, '%d values beyond the full colorization' % len(over)


def offset_photo_image():
    """The photo as a layer at offsets (30, 20) of a 200x150 image, with the
    image rectangle (0,0)-(80,60) selected, i.e. layer (0,0)-(50,40)."""
    _, photo = photo_image()
    image = Gimp.Image.new(200, 150, Gimp.ImageBaseType.RGB)
    layer = Gimp.Layer.new_from_drawable(photo, image)
    image.insert_layer(layer, None, 0)
    layer.set_offsets(30, 20)
    before = pixels(layer)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, 80, 60)
    return image, layer, before


def case_offsets():
    image, layer, before = offset_photo_image()
    colorize_ok(image, layer)
    changed = changed_pixels(before, pixels(layer), 3)
    outside = [i for i in changed if not (i % W < 50 and i // W < 40)]
    assert not outside, '%d pixels outside the selection changed' % len(outside)
    assert len(changed) > 50 * 40 // 2, \
        'only %d of %d selected pixels changed' % (len(changed), 50 * 40)


def case_new_layer():
    image, layer = photo_image()
    before = pixels(layer)
    before_l, _, _ = lab(layer)
    colorize_ok(image, layer, output='new-layer')
    layers = image.get_layers()
    assert len(layers) == 2, '%d layers' % len(layers)
    top = layers[0]
    assert top.get_mode() == Gimp.LayerMode.LCH_COLOR, top.get_mode()
    assert pixels(layer) == before, 'the original layer changed'
    merged = image.merge_visible_layers(Gimp.MergeType.CLIP_TO_IMAGE)
    expect_colorized(before_l, merged, 1.0, 5.0)


def case_new_layer_offsets():
    """new-layer on an offset layer with a selection: the new layer sits at
    the layer's offsets, its colours only where the selection is."""
    image, layer, before = offset_photo_image()
    colorize_ok(image, layer, output='new-layer')
    layers = image.get_layers()
    assert len(layers) == 2 and layers[1] == layer, \
        'layers %s' % [l.get_name() for l in layers]
    top = layers[0]
    assert top.get_mode() == Gimp.LayerMode.LCH_COLOR, top.get_mode()
    offsets = tuple(top.get_offsets())[-2:]
    assert offsets == (30, 20), 'new layer at %s' % (offsets,)
    assert (top.get_width(), top.get_height()) == (W, H), \
        'new layer is %dx%d' % (top.get_width(), top.get_height())
    assert pixels(layer) == before, 'the original layer changed'
    alpha = pixels(top)[3::4]
    shown = [i for i in range(W * H) if alpha[i] > 0]
    outside = [i for i in shown if not (i % W < 50 and i // W < 40)]
    assert not outside, '%d new-layer pixels outside the selection' \
        % len(outside)
    assert len(shown) > 50 * 40 // 2, \
        'only %d of %d selected pixels coloured' % (len(shown), 50 * 40)


def case_killed():
    """Run with COLORIZE_TEST_EXIT_AT=0.5 (not part of "all"): the plug-in
    ends half-way, as when GIMP ends it on a cancel; the layer is as it
    was and no new layer is left behind."""
    for output in ('replace', 'new-layer'):
        image, layer = photo_image()
        image.scale(W, 8 * H)  # several 256-row strips
        layer = image.get_layers()[0]
        before = pixels(layer)
        status, message = colorize(image, layer, output=output)
        assert status != Gimp.PDBStatusType.SUCCESS, \
            '%s: the plug-in was not ended' % output
        assert pixels(layer) == before, '%s: the layer changed' % output
        layers = image.get_layers()
        assert len(layers) == 1, '%s: %d layers left' % (output, len(layers))
        print('killed %s: status %s, %s' % (output, status, message))


def expect_failure(model, words):
    image, layer = photo_image()
    before = pixels(layer)
    status, message = colorize(image, layer, model=model)
    assert status == Gimp.PDBStatusType.EXECUTION_ERROR, \
        'status %s, message %s' % (status, message)
    assert message and all(w in message for w in words), \
        'message %r lacks %r' % (message, words)
    assert pixels(layer) == before, 'the layer changed'
    assert len(image.get_layers()) == 1, 'a layer was left behind'
    print('MESSAGE ' + message)


def case_missing_model():
    expect_failure(os.environ['COLORIZE_T_MISSING'],
                   [os.environ['COLORIZE_T_MISSING']])


def case_garbage_model():
    expect_failure(os.environ['COLORIZE_T_GARBAGE'],
                   [os.environ['COLORIZE_T_GARBAGE']])


CASES = [
    ('registered', case_registered),
    ('whole', case_whole),
    ('rect', case_rect),
    ('feather', case_feather),
    ('offsets', case_offsets),
    ('alpha', case_alpha),
    ('graymode', case_graymode),
    ('rgb16', case_rgb16),
    ('new-layer', case_new_layer),
    ('new-layer-offsets', case_new_layer_offsets),
    ('missing-model', case_missing_model),
    ('garbage-model', case_garbage_model),
] + STATE_CASES + HINT_CASES  # gimp3_state_cases.py, gimp3_hint_cases.py

# run only when named
OPT_IN = [
    ('killed', case_killed),
]

wanted = os.environ.get('COLORIZE_T_CASES', '')
for name, case in CASES + OPT_IN:
    if (wanted or (name, case) in OPT_IN) and name not in wanted.split(','):
        continue
    try:
        case()
        print('CASE %s ok' % name)
    except Exception as e:  # report every case, then go on with the next
        traceback.print_exc(file=sys.stdout)
        print('CASE %s FAIL: %s' % (name, str(e).replace('\n', ' ')))
    sys.stdout.flush()
print('CASES DONE')
