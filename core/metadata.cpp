// colorize.json parsing and writing with json-glib. Format: models/README.md.
#include "colorize/metadata.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include <json-glib/json-glib.h>

#include "colorize/error.h"

namespace colorize {
namespace {

struct GObjectUnref {
  void operator()(gpointer p) const { g_object_unref(p); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GErrorFree {
  void operator()(GError *e) const { g_error_free(e); }
};

/// `node` written as compact JSON.
std::string node_text(JsonNode *node) {
  gchar *s = json_to_string(node, FALSE);
  std::string result = s;
  g_free(s);
  return result;
}

/// Reads typed values from one JSON object; every error starts with the
/// prefix ("<file>: colorize.json: ") and names the key.
class Reader {
 public:
  Reader(JsonObject *object, std::string prefix, std::string path = "")
      : object_(object), prefix_(std::move(prefix)), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string &problem) const {
    throw ModelError(prefix_ + problem);
  }

  bool has(const char *key) const {
    return json_object_has_member(object_, key);
  }

  /// The member, or nullptr when absent (required members fail instead).
  JsonNode *member(const char *key, bool required) const {
    JsonNode *node = json_object_get_member(object_, key);
    if (node == nullptr && required)
      fail("required key \"" + name(key) + "\" is missing");
    return node;
  }

  int integer(const char *key) const {
    JsonNode *node = member(key, true);
    const GType type = value_type(node);
    if (type == G_TYPE_INT64) {
      const gint64 v = json_node_get_int(node);
      if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
        fail("\"" + name(key) + "\" is out of range");
      return static_cast<int>(v);
    }
    if (type == G_TYPE_DOUBLE) {
      const double v = json_node_get_double(node);
      if (std::floor(v) != v)
        fail("\"" + name(key) + "\" must be a whole number, got " + node_text(node));
      if (std::fabs(v) > std::numeric_limits<int>::max())
        fail("\"" + name(key) + "\" is out of range");
      return static_cast<int>(v);
    }
    fail("\"" + name(key) + "\" must be an integer, got " + describe(node));
  }

  double number(const char *key, double fallback) const {
    JsonNode *node = member(key, false);
    if (node == nullptr) return fallback;
    const GType type = value_type(node);
    if (type == G_TYPE_INT64) return static_cast<double>(json_node_get_int(node));
    if (type == G_TYPE_DOUBLE) return json_node_get_double(node);
    fail("\"" + name(key) + "\" must be a number, got " + describe(node));
  }

  std::string string(const char *key, bool required,
                     const std::string &fallback = "") const {
    JsonNode *node = member(key, required);
    if (node == nullptr) return fallback;
    if (value_type(node) != G_TYPE_STRING)
      fail("\"" + name(key) + "\" must be a string, got " + describe(node));
    const gchar *value = json_node_get_string(node);
    if (!g_utf8_validate(value, -1, nullptr)) fail("\"" + name(key) + "\" is not UTF-8 text");
    return value;
  }

  bool boolean(const char *key, bool fallback) const {
    JsonNode *node = member(key, false);
    if (node == nullptr) return fallback;
    if (value_type(node) != G_TYPE_BOOLEAN)
      fail("\"" + name(key) + "\" must be true or false, got " + describe(node));
    return json_node_get_boolean(node);
  }

  /// An optional object member, or nullptr when absent.
  JsonNode *object(const char *key) const {
    JsonNode *node = member(key, false);
    if (node != nullptr && !JSON_NODE_HOLDS_OBJECT(node))
      fail("\"" + name(key) + "\" must be an object, got " + describe(node));
    return node;
  }

  std::string name(const char *key) const { return path_ + key; }

 private:
  static GType value_type(JsonNode *node) {
    return JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
  }

  static std::string describe(JsonNode *node) {
    if (JSON_NODE_HOLDS_NULL(node)) return "null";
    if (JSON_NODE_HOLDS_OBJECT(node)) return "an object";
    if (JSON_NODE_HOLDS_ARRAY(node)) return "an array";
    if (value_type(node) == G_TYPE_STRING) return "the string " + node_text(node);
    return node_text(node);
  }

  JsonObject *object_;
  std::string prefix_;
  std::string path_;
};

ColorSpace parse_color_space(const Reader &r) {
  const std::string value = r.string("color_space", true);
  if (value == "lab") return ColorSpace::Lab;
  if (value == "rgb") return ColorSpace::Rgb;
  r.fail("\"color_space\" must be \"lab\" or \"rgb\", got \"" + value + "\"");
}

/// Largest magnitude of a number in a free-form object. json-glib reads
/// 1e999 as infinity and writes it back as `inf`, which is not JSON, and its
/// scanner cannot read back what it writes for numbers close to DBL_MAX.
constexpr double kMaxFreeFormNumber = 1e300;

/// True when json-glib parses `text`.
bool reads_back(const std::string &text) {
  GObjectPtr<JsonParser> parser(json_parser_new());
  return json_parser_load_from_data(parser.get(), text.c_str(), -1, nullptr);
}

/// Why `node` could not be written back as JSON and read again, or "" when
/// it can: a number beyond ±kMaxFreeFormNumber, a string or key that is
/// not UTF-8 (json-glib decodes an unpaired "\udc00" escape into such
/// bytes) or, when `each_number`, a number whose own text json-glib does
/// not read (json-glib 1.6 writes 1e20 as `1e+20.0`). The depth is bounded
/// by check_limits().
std::string unwritable(JsonNode *node, bool each_number) {
  if (JSON_NODE_HOLDS_VALUE(node)) {
    const GType type = json_node_get_value_type(node);
    if (type == G_TYPE_DOUBLE) {
      if (!(std::fabs(json_node_get_double(node)) <= kMaxFreeFormNumber)) return "a number beyond ±1e300";
      if (!each_number) return "";
      const std::string text = node_text(node);
      return reads_back(text) ? "" : "the number " + text + ", which json-glib cannot read back as it writes it";
    }
    if (type == G_TYPE_STRING && !g_utf8_validate(json_node_get_string(node), -1, nullptr))
      return "a string that is not UTF-8";
    return "";
  }
  std::string problem;
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObjectIter iter;
    json_object_iter_init(&iter, json_node_get_object(node));
    const gchar *key;
    JsonNode *member;
    while (problem.empty() && json_object_iter_next(&iter, &key, &member))
      problem = g_utf8_validate(key, -1, nullptr) ? unwritable(member, each_number) : "a key that is not UTF-8";
  } else if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *array = json_node_get_array(node);
    for (guint i = 0; problem.empty() && i < json_array_get_length(array); ++i)
      problem = unwritable(json_array_get_element(array, i), each_number);
  }
  return problem;
}

/// Serialized text of an optional free-form object member ("{}" if absent).
/// The text is read back once; only when that fails is each number's own
/// text tried, to name the one at fault.
std::string object_text(const Reader &r, const char *key) {
  JsonNode *node = r.object(key);
  if (node == nullptr) return "{}";
  std::string problem = unwritable(node, false);
  const std::string text = problem.empty() ? node_text(node) : "";
  if (problem.empty() && !reads_back(text)) {
    problem = unwritable(node, true);
    if (problem.empty()) problem = "a value json-glib cannot read back as it writes it";
  }
  if (!problem.empty()) r.fail("\"" + r.name(key) + "\" holds " + problem);
  return text;
}

/// Refuses text that json-glib should not see: over kMaxMetadataBytes, or
/// nested deeper than kMaxMetadataDepth (the parser recurses once per level,
/// so a deep enough text would overflow the stack). The depth is counted in
/// one pass that skips strings, so brackets inside them do not count.
/// `prefix` starts the message.
void check_limits(const std::string &text, const std::string &prefix) {
  if (text.size() > kMaxMetadataBytes)
    throw ModelError(prefix + "too large: " + std::to_string(text.size()) +
                     " bytes, more than the limit of " + std::to_string(kMaxMetadataBytes) +
                     " bytes (1 MiB)");
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxMetadataDepth)
        throw ModelError(prefix + "nesting of arrays and objects is deeper than the limit of " +
                         std::to_string(kMaxMetadataDepth) + " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

/// A normalisation member read by `n`: a finite number; a scale (`scale`)
/// has a magnitude in [kMinNormScale, kMaxNormScale], the offset one of at
/// most kMaxNormOffset.
double norm_value(const Reader &n, const char *key, double fallback, bool scale) {
  const double v = n.number(key, fallback);
  const std::string name = "\"" + n.name(key) + "\"";
  if (!std::isfinite(v)) n.fail(name + " must be a finite number");
  if (scale && v == 0.0) n.fail(name + " must not be 0");
  const double magnitude = std::fabs(v);
  if (scale && (magnitude < kMinNormScale || magnitude > kMaxNormScale))
    n.fail(name + " is " + number_text(v) + "; its magnitude must be between " +
           number_text(kMinNormScale) + " and " + number_text(kMaxNormScale));
  if (!scale && magnitude > kMaxNormOffset)
    n.fail(name + " is " + number_text(v) + "; it must be between " +
           number_text(-kMaxNormOffset) + " and " + number_text(kMaxNormOffset));
  return v;
}

/// A required positive integer member of at most `max` pixels.
int size_value(const Reader &r, const char *key, int max) {
  const int v = r.integer(key);
  if (v <= 0) r.fail("\"" + r.name(key) + "\" must be positive, got " + std::to_string(v));
  if (v > max)
    r.fail("\"" + r.name(key) + "\" is " + std::to_string(v) + "; it must be at most " +
           std::to_string(max));
  return v;
}

/// Parses `text` that must hold a JSON object (for architecture/training).
JsonNode *parse_object(const std::string &text, const char *what) {
  check_limits(text, std::string("model metadata: ") + what + ": ");
  GObjectPtr<JsonParser> parser(json_parser_new());
  GError *raw = nullptr;
  if (!json_parser_load_from_data(parser.get(), text.c_str(), -1, &raw)) {
    std::unique_ptr<GError, GErrorFree> error(raw);
    throw ModelError(std::string("model metadata: ") + what +
                     " is not valid JSON: " + error->message);
  }
  JsonNode *root = json_parser_get_root(parser.get());
  if (root == nullptr || !JSON_NODE_HOLDS_OBJECT(root))
    throw ModelError(std::string("model metadata: ") + what + " must be a JSON object");
  return json_node_copy(root);
}

}  // namespace

const char *to_string(ColorSpace space) {
  return space == ColorSpace::Lab ? "lab" : "rgb";
}

ModelInfo parse_model_info(const std::string &json_text,
                           const std::string &origin) {
  const std::string prefix = origin + ": " + kMetadataFileName + ": ";
  check_limits(json_text, prefix);
  GObjectPtr<JsonParser> parser(json_parser_new());
  GError *raw = nullptr;
  if (!json_parser_load_from_data(parser.get(), json_text.data(),
                                  static_cast<gssize>(json_text.size()), &raw)) {
    std::unique_ptr<GError, GErrorFree> error(raw);
    throw ModelError(prefix + "not valid JSON: " + error->message);
  }
  JsonNode *root = json_parser_get_root(parser.get());
  if (root == nullptr || !JSON_NODE_HOLDS_OBJECT(root))
    throw ModelError(prefix + "the top level must be a JSON object");
  const Reader r(json_node_get_object(root), prefix);

  ModelInfo info;
  info.format_version = r.integer("format_version");
  if (info.format_version > kHintFormatVersion)
    r.fail("format_version " + std::to_string(info.format_version) +
           " was made by a newer version of colorize (this one reads versions " +
           std::to_string(kFormatVersion) + " and " + std::to_string(kHintFormatVersion) + ")");
  if (info.format_version < kFormatVersion)
    r.fail("format_version " + std::to_string(info.format_version) +
           " is not valid (must be " + std::to_string(kFormatVersion) + " or " +
           std::to_string(kHintFormatVersion) + ")");

  info.color_space = parse_color_space(r);
  info.hints = r.boolean("hints", false);
  if (info.hints != (info.format_version == kHintFormatVersion))
    r.fail(info.hints ? "\"hints\": true needs format_version " + std::to_string(kHintFormatVersion)
                      : "format_version " + std::to_string(kHintFormatVersion) + " needs \"hints\": true");
  if (info.hints && info.color_space != ColorSpace::Lab)
    r.fail("hint inputs need color_space \"lab\" (hints are a,b values)");
  info.input_size = size_value(r, "input_size", kMaxResolution);
  info.size_multiple = size_value(r, "size_multiple", kMaxSizeMultiple);

  if (JsonNode *node = r.object("normalization")) {
    const Reader n(json_node_get_object(node), prefix, "normalization.");
    Normalization &norm = info.normalization;
    norm.l_scale = norm_value(n, "l_scale", norm.l_scale, true);
    norm.l_offset = norm_value(n, "l_offset", norm.l_offset, false);
    norm.ab_scale = norm_value(n, "ab_scale", norm.ab_scale, true);
  }

  info.name = r.string("name", false);
  info.description = r.string("description", false);
  info.license = r.string("license", false);
  info.architecture_json = object_text(r, "architecture");
  info.training_json = object_text(r, "training");
  return info;
}

std::string serialize_model_info(const ModelInfo &info) {
  GObjectPtr<JsonBuilder> b(json_builder_new());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "format_version");
  json_builder_add_int_value(b.get(), info.format_version);
  json_builder_set_member_name(b.get(), "color_space");
  json_builder_add_string_value(b.get(), to_string(info.color_space));
  if (info.hints) {
    json_builder_set_member_name(b.get(), "hints");
    json_builder_add_boolean_value(b.get(), TRUE);
  }
  json_builder_set_member_name(b.get(), "input_size");
  json_builder_add_int_value(b.get(), info.input_size);
  json_builder_set_member_name(b.get(), "size_multiple");
  json_builder_add_int_value(b.get(), info.size_multiple);

  json_builder_set_member_name(b.get(), "normalization");
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "l_scale");
  json_builder_add_double_value(b.get(), info.normalization.l_scale);
  json_builder_set_member_name(b.get(), "l_offset");
  json_builder_add_double_value(b.get(), info.normalization.l_offset);
  json_builder_set_member_name(b.get(), "ab_scale");
  json_builder_add_double_value(b.get(), info.normalization.ab_scale);
  json_builder_end_object(b.get());

  const std::pair<const char *, const std::string *> strings[] = {
      {"name", &info.name}, {"description", &info.description},
      {"license", &info.license}};
  for (const auto &[key, value] : strings) {
    if (value->empty()) continue;
    json_builder_set_member_name(b.get(), key);
    json_builder_add_string_value(b.get(), value->c_str());
  }
  const std::pair<const char *, const std::string *> objects[] = {
      {"architecture", &info.architecture_json},
      {"training", &info.training_json}};
  for (const auto &[key, value] : objects) {
    json_builder_set_member_name(b.get(), key);
    json_builder_add_value(b.get(), parse_object(*value, key));  // takes ownership
  }
  json_builder_end_object(b.get());

  JsonNode *root = json_builder_get_root(b.get());
  GObjectPtr<JsonGenerator> gen(json_generator_new());
  json_generator_set_pretty(gen.get(), TRUE);
  json_generator_set_indent(gen.get(), 2);
  json_generator_set_root(gen.get(), root);
  json_node_unref(root);
  gchar *text = json_generator_to_data(gen.get(), nullptr);
  std::string result = text;
  g_free(text);
  result += '\n';
  // What is written must load again.
  check_limits(result, std::string("model metadata: ") + kMetadataFileName + ": ");
  return result;
}

}  // namespace colorize
