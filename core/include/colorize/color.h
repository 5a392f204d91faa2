// The one definition of colour conversion and network normalisation, used
// by the CLI, the GIMP plug-in and the trainer. OpenCV only, no LibTorch.
//
// Conventions: float RGB is sRGB-companded in [0,1], channel order R,G,B
// (callers holding OpenCV's B,G,R say so with ChannelOrder::Bgr). Lab is CIE
// L*a*b* with a D65 white point as computed by OpenCV's float conversion:
// L in [0,100], a and b roughly in [-110,110].
#pragma once

#include <opencv2/core.hpp>

#include "colorize/metadata.h"

namespace colorize {

enum class ChannelOrder { Rgb, Bgr };

/// CV_32FC3 RGB [0,1] -> CV_32FC3 Lab.
cv::Mat rgb_to_lab(const cv::Mat &rgb, ChannelOrder order = ChannelOrder::Rgb);
/// CV_32FC3 Lab -> CV_32FC3 RGB, clipped to [0,1].
cv::Mat lab_to_rgb(const cv::Mat &lab, ChannelOrder order = ChannelOrder::Rgb);

/// Any image (8U, 16U or 32F; 1 = gray, 2 = gray+alpha, 3 = colour,
/// 4 = colour+alpha channels) -> CV_32FC1 L in [0,100]. Alpha is ignored.
/// Throws ImageError for other depths or channel counts.
cv::Mat luminance(const cv::Mat &image, ChannelOrder order = ChannelOrder::Rgb);

/// Network input from L: x = L / l_scale + l_offset (CV_32FC1).
cv::Mat normalize_l(const cv::Mat &L, const Normalization &n);
/// Inverse of normalize_l.
cv::Mat denormalize_l(const cv::Mat &x, const Normalization &n);
/// Network target from a,b (CV_32FC2): y = ab / ab_scale.
cv::Mat normalize_ab(const cv::Mat &ab, const Normalization &n);
/// Inverse of normalize_ab: ab = y * ab_scale.
cv::Mat denormalize_ab(const cv::Mat &y, const Normalization &n);
/// RGB network output in [-1,1] (CV_32FC3) -> RGB [0,1], clipped.
cv::Mat rgb_from_network(const cv::Mat &y);
/// RGB [0,1] (CV_32FC3) -> network target in [-1,1].
cv::Mat rgb_to_network(const cv::Mat &rgb);

/// Builds the colour tables now: OpenCV's Lab/Luv tables (about 0.1-0.3 s
/// on first use in a process) and the pipeline's gamut table. Optional (the
/// first conversion does it otherwise); call it on a thread while the model
/// loads to hide the cost, but let it finish before other threads convert
/// colours (OpenCV's table set-up is not thread-safe).
void prepare_color_tables();

}  // namespace colorize
