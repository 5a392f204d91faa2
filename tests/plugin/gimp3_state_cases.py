# More GIMP 3.0 end-to-end cases: a refused drawable or a failed model pass
# leaves the image exactly as it was, and a Gray file keeps its lightness.
# Piped to python-fu-eval before gimp3_cases.py, whose functions (looked up
# when a case runs) and case loop they use. Set by the driver besides the
# variables of gimp3_cases.py:
#   COLORIZE_T_FAILING  a model that loads but produces NaN on any image
#   COLORIZE_T_COLOR    a model with strong colours, a plain function of L
#   COLORIZE_T_GRAY     the photo as a Gray PNG file (written by OpenCV)
#   COLORIZE_T_GRAY3    the same pixels as an RGB PNG file
#   COLORIZE_T_OUT      a folder for the results the driver checks

import os

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio


def expect_unchanged_failure(image, drawable, layer, words, **kw):
    """Runs the plug-in on `drawable` (model, output in kw): it must fail
    with EXECUTION_ERROR and a message with all of `words`, leaving the
    image's type, layers, dirty flag and `layer`'s pixels as they were."""
    image.clean_all()
    before = read(layer, "R'G'B'A float")
    base = image.get_base_type()
    layers = image.get_layers()
    status, message = colorize(image, drawable, **kw)
    assert status == Gimp.PDBStatusType.EXECUTION_ERROR, \
        'status %s, message %s' % (status, message)
    assert message and all(w in message for w in words), \
        'message %r lacks %r' % (message, words)
    assert image.get_base_type() == base, \
        'image type changed to %s' % image.get_base_type()
    assert image.get_layers() == layers, 'layers added or removed'
    assert not image.is_dirty(), 'the image was marked dirty'
    assert read(layer, "R'G'B'A float") == before, 'the layer changed'
    print('MESSAGE ' + message)
    return message


def case_model_pass():
    failing = os.environ['COLORIZE_T_FAILING']
    words = ['The model pass failed: ' + failing, 'non-finite']
    for gray, output in ((True, 'replace'), (False, 'replace'),
                         (True, 'new-layer')):
        image, layer = photo_image()
        if gray:
            image.convert_grayscale()
            layer = image.get_layers()[0]
        message = expect_unchanged_failure(image, layer, layer, words,
                                           model=failing, output=output)
        assert 'Could not load' not in message, message


def case_layer_group():
    image, layer = photo_image()
    group = Gimp.GroupLayer.new(image, 'group')
    image.insert_layer(group, None, 0)
    expect_unchanged_failure(image, group, layer,
                             ['Layer groups cannot be colorized; choose a '
                              'layer inside the group.'])


def case_indexed():
    image, layer = photo_image()
    image.convert_indexed(Gimp.ConvertDitherType.NONE,
                          Gimp.ConvertPaletteType.GENERATE, 16, False, False,
                          '')
    layer = image.get_layers()[0]
    expect_unchanged_failure(image, layer, layer,
                             ['Only RGB and grayscale layers can be '
                              'colorized.'])


def case_gray_file():
    """A Gray PNG and an RGB copy of it (both with a gAMA chunk), loaded,
    colorized and saved for the driver, which compares the files' L."""
    for key in ('COLORIZE_T_GRAY', 'COLORIZE_T_GRAY3'):
        path = os.environ[key]
        image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                               Gio.File.new_for_path(path))
        layer = image.get_layers()[0]
        colorize_ok(image, layer, model=os.environ['COLORIZE_T_COLOR'])
        layer = image.get_layers()[0]
        chroma = mean_chroma(layer)
        assert chroma > 2.0, '%s not colorized: mean chroma %.3f' \
            % (path, chroma)
        out = os.path.join(os.environ['COLORIZE_T_OUT'],
                           os.path.basename(path))
        assert Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image,
                              Gio.File.new_for_path(out), None), out
        image.delete()


STATE_CASES = [
    ('model-pass', case_model_pass),
    ('layer-group', case_layer_group),
    ('indexed', case_indexed),
    ('gray-file', case_gray_file),
]
