# GIMP 3.0 end-to-end cases of colour hints: red dots on a transparent
# "Colour hints" layer given to a hint model whose colours are its hint
# channels (gray without hints). Piped to python-fu-eval before
# gimp3_cases.py, whose helpers and case loop they use. Set by the driver:
#   COLORIZE_T_HINTS  that hint model

import os

import gi
gi.require_version('Gegl', '0.4')
gi.require_version('Gimp', '3.0')
from gi.repository import Gegl, Gimp, Gio

DOTS = (40, 30, 24, 24)  # the painted square
INSIDE = (46, 36, 12, 12)  # well inside it, cell rounding aside
FAR = (110, 80, 40, 30)


def hints_layer(image, alpha=True):
    kind = Gimp.ImageType.RGBA_IMAGE if alpha else Gimp.ImageType.RGB_IMAGE
    layer = Gimp.Layer.new(image, 'Colour hints', W, H, kind, 100,
                           Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, -1)
    Gimp.context_set_foreground(Gegl.Color.new('red'))
    image.select_rectangle(Gimp.ChannelOps.REPLACE, *DOTS)
    layer.edit_fill(Gimp.FillType.FOREGROUND)
    Gimp.Selection.none(image)
    return layer


def colorize_hints(image, drawable, hints, model=None):
    proc = Gimp.get_pdb().lookup_procedure(PROC)
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', image)
    cfg.set_core_object_array('drawables', [drawable])
    cfg.set_property('model-file', Gio.File.new_for_path(
        model or os.environ['COLORIZE_T_HINTS']))
    cfg.set_property('device', 'cpu')
    cfg.set_property('hints', hints)
    result = proc.run(cfg)
    return result.index(0), (result.index(1) if result.length() > 1 else None)


def region(rect):
    x0, y0, w, h = rect
    return [y * W + x for y in range(y0, y0 + h) for x in range(x0, x0 + w)]


def case_hints():
    image, layer = photo_image()
    before_l, _, _ = lab(layer)
    status, message = colorize_hints(image, layer, hints_layer(image))
    assert status == Gimp.PDBStatusType.SUCCESS, '%s %s' % (status, message)
    _, a, _ = lab(layer)
    inside = [a[i] for i in region(INSIDE)]
    assert sum(inside) / len(inside) > 20, \
        'not red under the dots: mean a %.2f' % (sum(inside) / len(inside))
    far = mean_chroma(layer, region(FAR))
    assert far < 1.0, 'colour away from the dots: chroma %.2f' % far
    mean, _ = l_difference(before_l, layer)
    assert mean < 0.6, 'lightness changed: %.3f' % mean
    # without hints the same model leaves the photo gray
    image2, layer2 = photo_image()
    status, message = colorize_hints(image2, layer2, None)
    assert status == Gimp.PDBStatusType.SUCCESS, '%s %s' % (status, message)
    assert mean_chroma(layer2) < 1.0, 'coloured without hints'


def case_hints_refused():
    for alpha, model, target_is_hints, status_wanted, words in (
            (True, os.environ['COLORIZE_T_MODEL'], False,
             Gimp.PDBStatusType.EXECUTION_ERROR, 'takes no colour hints'),
            (False, None, False, Gimp.PDBStatusType.EXECUTION_ERROR,
             'no alpha channel'),
            (True, None, True, Gimp.PDBStatusType.CALLING_ERROR,
             'another layer of the same image')):
        image, layer = photo_image()
        hints = hints_layer(image, alpha)
        before = pixels(layer)
        status, message = colorize_hints(
            image, layer, layer if target_is_hints else hints, model)
        assert status == status_wanted and message and words in message, \
            '%s: status %s, message %r' % (words, status, message)
        assert pixels(layer) == before, words + ': the layer changed'
        print('MESSAGE ' + message)


HINT_CASES = [
    ('hints', case_hints),
    ('hints-refused', case_hints_refused),
]
