// Model metadata: the "colorize.json" extra file carried inside every model
// archive. Format documented in models/README.md. No LibTorch here.
#pragma once

#include <cstddef>
#include <string>

namespace colorize {

/// Name of the extra file inside the TorchScript archive.
inline constexpr const char *kMetadataFileName = "colorize.json";
/// format_version of models whose forward() takes L alone ([N, 1, H, W]).
inline constexpr int kFormatVersion = 1;
/// format_version of models that also take colour hints ("hints": true):
/// forward() takes [N, 4, H, W] = normalised L, hint a, hint b (normalised
/// like the output) and a mask (1 where a hint is given, 0 elsewhere).
/// Readers that know only version 1 refuse these files.
inline constexpr int kHintFormatVersion = 2;
/// Largest colorize.json accepted, in bytes (1 MiB); checked before parsing.
inline constexpr size_t kMaxMetadataBytes = size_t{1} << 20;
/// Deepest nesting of arrays and objects accepted in colorize.json (the top
/// level object counts as 1); checked before parsing.
inline constexpr int kMaxMetadataDepth = 64;
/// Bounds of the normalisation values: |l_scale| and |ab_scale| within
/// [kMinNormScale, kMaxNormScale], |l_offset| at most kMaxNormOffset.
inline constexpr double kMinNormScale = 1e-3;
inline constexpr double kMaxNormScale = 1e4;
inline constexpr double kMaxNormOffset = 1e4;
/// Largest working resolution (short side, in pixels): the most "input_size"
/// may say, and the most infer() and the programs accept as a resolution.
/// The network pass grows with its square (the default model needs about
/// 6 GB at 4096 for a 3:2 picture).
inline constexpr int kMaxResolution = 4096;
/// Largest "size_multiple" (2^10, a U-Net of depth 10); the load-time
/// check runs forward() on a square of this side.
inline constexpr int kMaxSizeMultiple = 1024;

/// What the network predicts from L.
enum class ColorSpace { Lab, Rgb };

/// How L goes into the network and a,b come out of it:
///   x = L / l_scale + l_offset      (L in 0..100)
///   a,b = y * ab_scale              (Lab models)
///   rgb = (y + 1) / 2               (RGB models)
struct Normalization {
  double l_scale = 50.0;
  double l_offset = -1.0;
  double ab_scale = 110.0;
};

struct ModelInfo {
  int format_version = kFormatVersion;
  ColorSpace color_space = ColorSpace::Lab;
  bool hints = false;       ///< forward() takes hint channels (kHintFormatVersion)
  int input_size = 256;     ///< working resolution (short side) of training
  int size_multiple = 256;  ///< forward() needs H, W multiples of this
  Normalization normalization;
  std::string name;
  std::string description;
  std::string license;
  std::string architecture_json = "{}";  ///< free-form object, serialized
  std::string training_json = "{}";      ///< free-form object, serialized

  /// 2 for Lab models (a,b), 3 for RGB models (R,G,B).
  int output_channels() const { return color_space == ColorSpace::Lab ? 2 : 3; }
  /// 4 for hint models (L, hint a, hint b, mask), else 1 (L).
  int input_channels() const { return hints ? 4 : 1; }
};

const char *to_string(ColorSpace space);

/// Parses and validates colorize.json text. `origin` (usually the model
/// file's path) starts every error message. Unknown keys are ignored.
/// Throws ModelError on text over kMaxMetadataBytes or nested deeper than
/// kMaxMetadataDepth, invalid JSON, missing required keys, wrong types,
/// input_size over kMaxResolution, size_multiple over kMaxSizeMultiple or
/// normalisation values out of bounds.
ModelInfo parse_model_info(const std::string &json_text,
                           const std::string &origin);

/// Serializes to colorize.json text (pretty-printed); parse_model_info()
/// of the result gives back an equal ModelInfo.
std::string serialize_model_info(const ModelInfo &info);

}  // namespace colorize
