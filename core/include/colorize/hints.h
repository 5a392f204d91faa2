// Colour hints for hint models (metadata.h, kHintFormatVersion): a user's
// dots of colour, given as a sparse picture over the image, reduced to the
// network's hint channels at the working resolution. OpenCV only.
#pragma once

#include <opencv2/core.hpp>

#include "colorize/color.h"
#include "colorize/metadata.h"

namespace colorize {

/// Number of hint pixels in `hints` (those whose alpha is at least half of
/// the depth's maximum). `hints`: RGBA, 4 channels of 8U, 16U or 32F (float
/// in [0,1]); throws ImageError for anything else.
size_t count_hint_pixels(const cv::Mat &hints);

/// The hint channels of the network at `working` size: CV_32FC3 = hint a,
/// hint b (normalised like the output: a,b / ab_scale) and the mask. Each
/// hint pixel of `hints` (see count_hint_pixels(); its colour's a,b) falls
/// into the working-resolution cell under it; a cell gets the mean a,b of
/// its hint pixels and mask 1, cells without any 0, 0, 0. `hints` covers the
/// whole picture at any size (usually the full resolution), `order` names
/// its colour channels. Throws ImageError for an unsupported type or an
/// empty size.
cv::Mat hint_channels(const cv::Mat &hints, cv::Size working, const Normalization &n,
                      ChannelOrder order = ChannelOrder::Rgb);

}  // namespace colorize
