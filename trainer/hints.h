// Simulated colour hints for hint-capable generators (Zhang et al.,
// SIGGRAPH 2017): a few square patches of the ground truth's mean a,b given
// to the network beside L, so that it learns to follow a user's dots. No
// LibTorch here.
#pragma once

#include <random>

#include "data.h"

namespace colorize::train {

/// Most hints drawn for one example.
inline constexpr int kMaxHints = 64;

/// Number of hints of a training example: geometric with p = 1/8 (one
/// example in eight has none, 7 on average), at most kMaxHints.
int random_hint_count(std::mt19937_64 &rng);

/// Turns the example's input into L + hint a + hint b + mask (CV_32FC4):
/// `count` square patches of 1-9 pixels, their centres drawn from a normal
/// distribution around the middle of the crop (sigma = a quarter of its
/// side), each set to the mean of the target's normalised a,b over the
/// patch, with the mask 1 there. A count of 0 gives the channels of "no
/// hint" (all zero). Lab examples only (std::invalid_argument otherwise).
void add_hints(Example &e, int count, std::mt19937_64 &rng);

/// Hints on a whole photo the way a user gives them to the programs: an
/// RGBA picture of the photo's size (CV_8UC4, B,G,R,A like `bgr`),
/// transparent but for `count` square patches where it carries the photo's
/// own colours. Patches are drawn as by add_hints() on the `working` grid
/// (sides of 1-9 cells, centres around the middle) and scaled to the photo,
/// so that core's reduction gives each cell the true mean a,b.
cv::Mat hint_picture(const cv::Mat &bgr, cv::Size working, int count, std::mt19937_64 &rng);

}  // namespace colorize::train
