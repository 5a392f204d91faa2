// Runs real headless GIMP 2.10 on the plug-in for the end-to-end tests:
// builds a temp folder with the plug-in (symlinked from the build tree, with
// its translations beside it as locale/), a fresh profile, a generated
// gimprc, the input images and the model files, then runs Script-Fu.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <opencv2/core.hpp>

#include "support.h"

namespace colorize::testing {

class GimpRun {
 public:
  /// Finds gimp-console-2.10 on PATH and prepares the folder. Needs
  /// COLORIZE_PLUGIN (the built binary), COLORIZE_PLUGIN_LOCALE (the
  /// build's po/ folder), COLORIZE_PLUGIN_CASES (tests/plugin),
  /// COLORIZE_GIMP_PLUGIN_DIR (GIMP's own plug-ins folder).
  GimpRun();

  /// False when gimp-console-2.10 is not installed.
  bool available() const { return !gimp_.empty(); }

  /// Runs lib.scm + cases.scm under LANG=C.UTF-8; returns stdout + stderr.
  std::string run_cases();
  /// Runs the missing-model case under a German locale compiled with
  /// localedef into the temp folder. Returns "" and sets *why when the
  /// locale cannot be made.
  std::string run_german(std::string *why);
  /// Runs the plug-in interactively on a private Xvfb display, sets the
  /// dialog's strength to 0 and confirms it (tests/plugin/interactive.sh),
  /// then repeats it with the last values. Returns "" and sets *why when Xvfb or xdotool is missing.
  std::string run_interactive(std::string *why);

  std::string in(const std::string &name) const;   ///< input image path
  std::string out(const std::string &name) const;  ///< exported image path
  std::string model() const { return dir_.file("model.pt"); }
  std::string missing_model() const { return dir_.file("missing.pt"); }
  std::string garbage_model() const { return dir_.file("garbage.pt"); }
  std::string failing_model() const { return dir_.file("failing.pt"); }
  std::string hint_model() const { return dir_.file("hints.pt"); }

 private:
  /// Runs GIMP on `script`, through `wrapper` (a command run with GIMP's
  /// command line appended) when not empty; *status gets the exit status.
  std::string run(const std::string &script, const std::string &profile,
                  const std::string &lang, const std::string &locpath,
                  const std::string &wrapper = "", int *status = nullptr);
  std::string script(const std::string &body) const;

  std::string gimp_;
  TempDir dir_;
};

/// Writes a Lab model whose colours are a plain function of L, strong
/// enough to see (an untrained network predicts nearly gray):
/// a = 110 (0.3 x + 0.1), b = 110 (0.2 - 0.25 x), x = L / 50 - 1;
/// input_size 64, size_multiple 8.
void write_color_model(const std::string &path);

/// Writes a hint model (format 2) whose a,b are its hint channels: gray
/// where there is no hint, the hint's colour where there is one;
/// input_size 64, size_multiple 8.
void write_hint_model(const std::string &path);

/// Writes a Lab model that loads (the core's size_multiple x size_multiple
/// probe gives gray) but produces NaN on any larger input, i.e. on every
/// real image: input_size 64, size_multiple 8.
void write_failing_model(const std::string &path);

/// Writes `image` as a PNG file with a gAMA chunk of gamma 1/2.2, as many
/// programs write them (GIMP 3.0 makes a color profile of it). False on
/// failure.
bool write_gamma_png(const std::string &path, const cv::Mat &image);

/// The fixture photo's gray pixels as a Gray PNG at `gray` and as an RGB
/// PNG at `rgb`, full size, both with the gAMA chunk of write_gamma_png.
void write_gray_pngs(const std::string &gray, const std::string &rgb);

/// |L(a) - L(b)| of two images read by OpenCV (lab_of): mean and maximum
/// over the pixels where `where` is non-zero (all when empty).
std::pair<double, double> l_difference(const cv::Mat &a, const cv::Mat &b,
                                       const cv::Mat &where = {});

/// Lab (CV_32FC3) of an 8/16-bit BGR(A) or gray image read by OpenCV,
/// through the core's one colour conversion.
cv::Mat lab_of(const cv::Mat &image);

}  // namespace colorize::testing
