# Colorizes every *.jpg and *.png in a folder with plug-in-colorize-pix2pix
# (GIMP 3.0 Python-Fu, python-fu-eval) and writes the results, same names
# and formats, into another folder (made when missing). model_file None =
# the installed default model.
#   colorize_folder('/photos/gray', '/photos/colour')
import glob
import os

from gi.repository import Gimp, Gio


def colorize_folder(in_dir, out_dir, model_file=None):
    proc = Gimp.get_pdb().lookup_procedure('plug-in-colorize-pix2pix')
    if proc is None:
        raise RuntimeError('plug-in-colorize-pix2pix is not installed')
    os.makedirs(out_dir, exist_ok=True)
    files = sorted(glob.glob(os.path.join(in_dir, '*.jpg')) +
                   glob.glob(os.path.join(in_dir, '*.png')))
    for path in files:
        image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                               Gio.File.new_for_path(path))
        config = proc.create_config()
        config.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
        config.set_property('image', image)
        config.set_core_object_array('drawables', image.get_layers()[:1])
        if model_file:
            config.set_property('model-file', Gio.File.new_for_path(model_file))
        config.set_property('device', 'auto')      # or 'cpu', 'cuda'
        config.set_property('resolution', 0)       # 0 = the model's own
        config.set_property('strength', 1.0)
        config.set_property('output', 'replace')   # or 'new-layer'
        result = proc.run(config)
        if result.index(0) != Gimp.PDBStatusType.SUCCESS:
            raise RuntimeError('%s: %s' % (path, result.index(1)))
        out = os.path.join(out_dir, os.path.basename(path))
        if not Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image,
                              Gio.File.new_for_path(out), None):
            raise RuntimeError('cannot write ' + out)
        image.delete()
        print('colorized %s -> %s' % (path, out))
