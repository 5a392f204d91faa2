// Helpers shared by color.cpp and pipeline.cpp; not installed, not API.
#pragma once

#include <opencv2/core.hpp>

#include "colorize/color.h"

namespace colorize::detail {

/// cv::cvtColor code RGB/BGR -> CIE L*u*v* (float L accurate to ~0.004;
/// the pipeline takes L from it).
int to_luv_code(ChannelOrder order);
/// 1/255, 1/65535 or 1 for 8U, 16U, 32F; throws ImageError otherwise.
double unit_scale(int depth);
/// Throws ImageError unless `image` is non-empty 2-D 8U/16U/32F with 1-4
/// channels.
void check_image(const cv::Mat &image);
/// Any supported image -> CV_32FC3 in [0,1] (gray replicated, alpha dropped).
cv::Mat to_float_rgb(const cv::Mat &image);

/// Channel 0 of a row of OpenCV 8-bit Lab (`lab8`: 3 * width bytes): the
/// CIE lightness (L * 255 / 100, rounded) of a row of 8-bit pixels with
/// 1-4 channels (gray, gray + alpha, RGB or BGR, with or without alpha).
/// Channels 1 and 2 are left as they are. Defined in lightness.cpp.
void lightness_8u(const uchar *src, int channels, ChannelOrder order, uchar *lab8, int width);

// Gamut handling (the pipeline keeps L, so colours must not clip).

/// Writes one row of a,b (`ab`: 2 * width floats, Lab units) into channels
/// 1 and 2 of a row of OpenCV 8-bit Lab (`lab8`: 3 * width bytes, L * 255 /
/// 100, a + 128, b + 128), chroma limited so that each colour fits the sRGB
/// gamut at its L.
void pack_ab_8u(const float *ab, uchar *lab8, int width);
/// Same limit for float Lab (CV_32FC3), in place.
void limit_chroma(cv::Mat &lab);
/// After converting `lab8` to `rgb8` (3 channels) with `from_lab`: every
/// pixel whose L did not survive (clipped) gets its chroma reduced by
/// bisection until it does (within one 8-bit L step).
void repair_gamut_8u(const cv::Mat &lab8, cv::Mat &rgb8, int to_lab,
                     int from_lab);
/// Float counterpart of repair_gamut_8u: every pixel of `rgb` (converted
/// from `lab` with `from_lab`) that clipped gets the largest chroma scale
/// that does not clip.
void repair_gamut_float(const cv::Mat &lab, cv::Mat &rgb, int from_lab);

}  // namespace colorize::detail
