// colorize.json parsing, validation and writing.
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "colorize/error.h"
#include "colorize/metadata.h"

namespace {

using colorize::ColorSpace;
using colorize::kMaxResolution;
using colorize::kMaxSizeMultiple;
using colorize::ModelError;
using colorize::ModelInfo;
using colorize::parse_model_info;

const char *kOrigin = "/models/m.pt";

/// A colorize.json object as (key, raw JSON value) pairs, so tests can drop
/// or replace single keys.
using Members = std::vector<std::pair<std::string, std::string>>;

Members valid_members() {
  return {{"format_version", "1"},
          {"color_space", "\"lab\""},
          {"input_size", "256"},
          {"size_multiple", "128"}};
}

std::string to_json(const Members &members) {
  std::string text = "{";
  for (const auto &[key, value] : members) {
    if (text.size() > 1) text += ", ";
    text += "\"" + key + "\": " + value;
  }
  return text + "}";
}

Members with(Members members, const std::string &key, const std::string &value) {
  for (auto &m : members) {
    if (m.first == key) {
      m.second = value;
      return members;
    }
  }
  members.emplace_back(key, value);
  return members;
}

/// The ModelError message parse_model_info() throws for `text`, or "" if
/// it does not throw.
std::string error_for(const std::string &text) {
  try {
    parse_model_info(text, kOrigin);
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

TEST(Metadata, MinimalFileGetsDefaults) {
  const ModelInfo info = parse_model_info(to_json(valid_members()), kOrigin);
  EXPECT_EQ(info.format_version, 1);
  EXPECT_EQ(info.color_space, ColorSpace::Lab);
  EXPECT_EQ(info.output_channels(), 2);
  EXPECT_EQ(info.input_size, 256);
  EXPECT_EQ(info.size_multiple, 128);
  EXPECT_DOUBLE_EQ(info.normalization.l_scale, 50.0);
  EXPECT_DOUBLE_EQ(info.normalization.l_offset, -1.0);
  EXPECT_DOUBLE_EQ(info.normalization.ab_scale, 110.0);
  EXPECT_EQ(info.name, "");
  EXPECT_EQ(info.architecture_json, "{}");
  EXPECT_EQ(info.training_json, "{}");
}

TEST(Metadata, FullFile) {
  const std::string text = R"({
    "format_version": 1, "color_space": "rgb", "input_size": 512,
    "size_multiple": 256.0,
    "normalization": {"l_scale": 100, "l_offset": -0.5, "ab_scale": 128.5},
    "name": "Portraits", "description": "Trained on \u00e9t\u00e9 photos",
    "license": "CC-BY-4.0",
    "architecture": {"type": "unet", "depth": 8},
    "training": {"epochs": 20, "photos": ["a", "b"]}
  })";
  const ModelInfo info = parse_model_info(text, kOrigin);
  EXPECT_EQ(info.color_space, ColorSpace::Rgb);
  EXPECT_EQ(info.output_channels(), 3);
  EXPECT_EQ(info.input_size, 512);
  EXPECT_EQ(info.size_multiple, 256);
  EXPECT_DOUBLE_EQ(info.normalization.l_scale, 100.0);
  EXPECT_DOUBLE_EQ(info.normalization.l_offset, -0.5);
  EXPECT_DOUBLE_EQ(info.normalization.ab_scale, 128.5);
  EXPECT_EQ(info.name, "Portraits");
  EXPECT_EQ(info.description, "Trained on \xc3\xa9t\xc3\xa9 photos");
  EXPECT_EQ(info.license, "CC-BY-4.0");
  EXPECT_EQ(info.architecture_json, R"({"type":"unet","depth":8})");
  EXPECT_EQ(info.training_json, R"({"epochs":20,"photos":["a","b"]})");
}

TEST(Metadata, PartialNormalizationKeepsOtherDefaults) {
  const ModelInfo info = parse_model_info(
      to_json(with(valid_members(), "normalization", R"({"ab_scale": 100})")), kOrigin);
  EXPECT_DOUBLE_EQ(info.normalization.l_scale, 50.0);
  EXPECT_DOUBLE_EQ(info.normalization.l_offset, -1.0);
  EXPECT_DOUBLE_EQ(info.normalization.ab_scale, 100.0);
}

TEST(Metadata, UnknownKeysAreIgnored) {
  Members members = with(valid_members(), "future_feature", R"({"x": [1, 2]})");
  members = with(members, "normalization", R"({"gamma": 2.2, "l_scale": 40})");
  const ModelInfo info = parse_model_info(to_json(members), kOrigin);
  EXPECT_EQ(info.input_size, 256);
  EXPECT_DOUBLE_EQ(info.normalization.l_scale, 40.0);
}

class MissingKey : public ::testing::TestWithParam<std::string> {};

TEST_P(MissingKey, IsRejectedNamingFileAndKey) {
  Members members;
  for (const auto &m : valid_members())
    if (m.first != GetParam()) members.push_back(m);
  ASSERT_EQ(members.size(), valid_members().size() - 1);
  EXPECT_EQ(error_for(to_json(members)),
            std::string(kOrigin) + ": colorize.json: required key \"" + GetParam() +
                "\" is missing");
}

INSTANTIATE_TEST_SUITE_P(Metadata, MissingKey,
                         ::testing::Values("format_version", "color_space",
                                           "input_size", "size_multiple"));

struct BadValue {
  std::string key;
  std::string value;     // raw JSON
  std::string expected;  // part of the message
};

class WrongValue : public ::testing::TestWithParam<BadValue> {};

TEST_P(WrongValue, IsRejectedNamingFileAndProblem) {
  const BadValue &bad = GetParam();
  const std::string message = error_for(to_json(with(valid_members(), bad.key, bad.value)));
  EXPECT_EQ(message.rfind(std::string(kOrigin) + ": colorize.json: ", 0), 0u) << message;
  EXPECT_NE(message.find(bad.expected), std::string::npos)
      << "message: " << message << "\nexpected to contain: " << bad.expected;
}

INSTANTIATE_TEST_SUITE_P(
    Metadata, WrongValue,
    ::testing::Values(
        BadValue{"format_version", "\"1\"", "\"format_version\" must be an integer, got the string \"1\""},
        BadValue{"format_version", "true", "\"format_version\" must be an integer, got true"},
        BadValue{"format_version", "3", "format_version 3 was made by a newer version"},
        BadValue{"format_version", "2", "format_version 2 needs \"hints\": true"},
        BadValue{"format_version", "0", "format_version 0 is not valid"},
        BadValue{"color_space", "3", "\"color_space\" must be a string"},
        BadValue{"color_space", "\"LAB \"", "\"color_space\" must be \"lab\" or \"rgb\", got \"LAB \""},
        BadValue{"input_size", "\"256\"", "\"input_size\" must be an integer, got the string \"256\""},
        BadValue{"input_size", "256.5", "\"input_size\" must be a whole number"},
        BadValue{"input_size", "0", "\"input_size\" must be positive"},
        BadValue{"input_size", "1e12", "\"input_size\" is out of range"},
        BadValue{"input_size", "null", "\"input_size\" must be an integer, got null"},
        BadValue{"input_size", "4097", "\"input_size\" is 4097; it must be at most 4096"},
        BadValue{"size_multiple", "-8", "\"size_multiple\" must be positive"},
        BadValue{"size_multiple", "100000", "\"size_multiple\" is 100000; it must be at most 1024"},
        BadValue{"size_multiple", "[8]", "\"size_multiple\" must be an integer, got an array"},
        BadValue{"normalization", "[]", "\"normalization\" must be an object"},
        BadValue{"normalization", R"({"l_scale": "50"})", "\"normalization.l_scale\" must be a number"},
        BadValue{"normalization", R"({"l_scale": 0})", "\"normalization.l_scale\" must not be 0"},
        BadValue{"normalization", R"({"ab_scale": 0.0})", "\"normalization.ab_scale\" must not be 0"},
        BadValue{"normalization", R"({"l_scale": 1e-300})",
                 "\"normalization.l_scale\" is 1e-300; its magnitude must be between 0.001 and 10000"},
        BadValue{"normalization", R"({"l_scale": -20000})",
                 "\"normalization.l_scale\" is -20000; its magnitude must be between 0.001 and 10000"},
        BadValue{"normalization", R"({"ab_scale": 1e300})",
                 "\"normalization.ab_scale\" is 1e+300; its magnitude must be between 0.001 and 10000"},
        BadValue{"normalization", R"({"ab_scale": -0.0009})", "\"normalization.ab_scale\" is -0.0009;"},
        BadValue{"normalization", R"({"l_offset": 10000.5})",
                 "\"normalization.l_offset\" is 10000.5; it must be between -10000 and 10000"},
        BadValue{"normalization", R"({"l_offset": -1e30})", "\"normalization.l_offset\" is -1e+30;"},
        BadValue{"normalization", R"({"ab_scale": 1e400})",
                 "\"normalization.ab_scale\" must be a finite number"},
        BadValue{"name", "5", "\"name\" must be a string, got 5"},
        BadValue{"license", "{}", "\"license\" must be a string, got an object"},
        BadValue{"architecture", "\"unet\"", "\"architecture\" must be an object"},
        BadValue{"training", "[1]", "\"training\" must be an object"}));

TEST(Metadata, SizeLimitsAreInclusive) {
  auto members = with(valid_members(), "input_size", std::to_string(kMaxResolution));
  const ModelInfo info =
      parse_model_info(to_json(with(members, "size_multiple", std::to_string(kMaxSizeMultiple))), kOrigin);
  EXPECT_EQ(info.input_size, 4096);
  EXPECT_EQ(info.size_multiple, 1024);
}

TEST(Metadata, NormalizationBoundsAreInclusive) {
  const ModelInfo info = parse_model_info(
      to_json(with(valid_members(), "normalization",
                   R"({"l_scale": -0.001, "l_offset": -10000, "ab_scale": 1e4})")),
      kOrigin);
  EXPECT_DOUBLE_EQ(info.normalization.l_scale, -0.001);
  EXPECT_DOUBLE_EQ(info.normalization.l_offset, -10000.0);
  EXPECT_DOUBLE_EQ(info.normalization.ab_scale, 10000.0);
}

/// `levels` nested arrays, e.g. [[[]]] for 3.
std::string nested_arrays(int levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

TEST(Metadata, DeepNestingIsRefusedBeforeParsing) {
  // 100,000 levels would overflow the stack of json-glib's recursive parser.
  const std::string message = error_for(nested_arrays(100000));
  EXPECT_EQ(message, std::string(kOrigin) + ": colorize.json: nesting of arrays and objects "
                                            "is deeper than the limit of 64 levels");
  // The top-level object is level 1: 63 levels below it are the most.
  const std::string at_limit = to_json(with(valid_members(), "extra", nested_arrays(63)));
  EXPECT_EQ(error_for(at_limit), "");
  const std::string over = to_json(with(valid_members(), "extra", "[" + nested_arrays(63) + "]"));
  EXPECT_NE(error_for(over).find("nesting"), std::string::npos) << error_for(over);
  // Objects count like arrays.
  std::string objects = "{}";
  for (int i = 1; i < 63; ++i) objects = "{\"k\": " + objects + "}";
  EXPECT_EQ(error_for(to_json(with(valid_members(), "extra", objects))), "");
  objects = "{\"k\": " + objects + "}";
  EXPECT_NE(error_for(to_json(with(valid_members(), "extra", objects))).find("nesting"),
            std::string::npos);
}

TEST(Metadata, BracketsInStringsDoNotCountAsNesting) {
  const std::string brackets(1000, '[');
  Members members = with(valid_members(), "name", "\"" + brackets + "\"");
  // An escaped quote does not end the string; an escaped backslash does not
  // escape the closing quote.
  members = with(members, "description", "\"say \\\"" + brackets + "{\\\\\"");
  const ModelInfo info = parse_model_info(to_json(members), kOrigin);
  EXPECT_EQ(info.name, brackets);
  EXPECT_EQ(info.description, "say \"" + brackets + "{\\");
}

TEST(Metadata, FilesOverOneMebibyteAreRefused) {
  const std::string two_mib = std::string(2 << 20, 'x');
  const std::string message =
      error_for(to_json(with(valid_members(), "description", "\"" + two_mib + "\"")));
  EXPECT_NE(message.find(std::string(kOrigin) + ": colorize.json: too large: 2097"),
            std::string::npos) << message;
  EXPECT_NE(message.find("limit of 1048576 bytes (1 MiB)"), std::string::npos) << message;

  // Just under the limit loads.
  const std::string base = to_json(with(valid_members(), "description", "\"\""));
  const std::string fill(colorize::kMaxMetadataBytes - base.size(), 'y');
  const std::string at_limit = to_json(with(valid_members(), "description", "\"" + fill + "\""));
  ASSERT_EQ(at_limit.size(), colorize::kMaxMetadataBytes);
  EXPECT_EQ(parse_model_info(at_limit, kOrigin).description, fill);
}

TEST(Metadata, SerializeRefusesWhatCouldNotLoadAgain) {
  ModelInfo info;
  info.architecture_json = "{\"a\": " + nested_arrays(100000) + "}";
  try {
    colorize::serialize_model_info(info);
    ADD_FAILURE() << "deep architecture serialized";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("architecture: nesting"), std::string::npos) << e.what();
  }
  info.architecture_json = "{}";
  info.description = std::string(2 << 20, 'x');
  EXPECT_THROW(colorize::serialize_model_info(info), ModelError);
}

TEST(Metadata, WholeFloatIntegersAreAccepted) {
  const ModelInfo info =
      parse_model_info(to_json(with(valid_members(), "input_size", "256.0")), kOrigin);
  EXPECT_EQ(info.input_size, 256);
}

// json-glib reads 1e999 as infinity and would write it back as `inf`, which
// no JSON parser reads, and cannot read back its own text for 1e308: such a
// file could be loaded but not written again.
TEST(Metadata, NumbersBeyond1e300AreRefusedInFreeFormObjects) {
  for (const char *key : {"training", "architecture"})
    for (const char *number : {"-1e999", "1e308", "1.000001e300"}) {
      const std::string value = std::string(R"({"loss": [0.5, {"x": )") + number + "}]}";
      const std::string message = error_for(to_json(with(valid_members(), key, value)));
      EXPECT_NE(message.find(std::string("\"") + key + "\" holds a number beyond ±1e300"), std::string::npos)
          << message;
    }
  const ModelInfo info =
      parse_model_info(to_json(with(valid_members(), "training", R"({"loss": [1e300, {"x": -2.5e-30}]})")), kOrigin);
  EXPECT_EQ(parse_model_info(colorize::serialize_model_info(info), kOrigin).training_json, info.training_json);
}

/// Loads `text`: either it is refused with a message holding one of
/// `expected`, or what is loaded is written and read back unchanged.
void expect_refused_or_kept(const std::string &text, std::initializer_list<std::string> expected) {
  ModelInfo info;
  try {
    info = parse_model_info(text, kOrigin);
  } catch (const ModelError &e) {
    const std::string message = e.what();
    bool named = false;
    for (const std::string &problem : expected) named = named || message.find(problem) != std::string::npos;
    EXPECT_TRUE(named) << message;
    return;
  }
  const ModelInfo again = parse_model_info(colorize::serialize_model_info(info), kOrigin);
  EXPECT_EQ(again.training_json, info.training_json);
  EXPECT_EQ(again.architecture_json, info.architecture_json);
  EXPECT_EQ(again.name, info.name);
}

// json-glib 1.6 writes 1e20 as `1e+20.0` and decodes an unpaired "\udc00"
// into bytes that are not UTF-8, and reads neither back from its own text;
// json-glib 1.10 writes the first correctly and refuses the second as input.
TEST(Metadata, ValuesThatCannotBeWrittenBackAreRefused) {
  const std::pair<const char *, const char *> cases[] = {
      {R"({"images": 1e20})", "holds the number 1e+20.0, which json-glib cannot read back"},
      {R"({"x": [1, {"y": -1e100}]})", "holds the number -1e+100.0, which json-glib cannot read back"},
      {R"({"x": "a\udc00b"})", "holds a string that is not UTF-8"},
      {R"({"x": {"a\udc00b": 1}})", "holds a key that is not UTF-8"}};
  for (const char *key : {"training", "architecture"})
    for (const auto &[value, problem] : cases)
      expect_refused_or_kept(to_json(with(valid_members(), key, value)),
                             {std::string("\"") + key + "\" " + problem, "colorize.json: not valid JSON"});
  expect_refused_or_kept(to_json(with(valid_members(), "name", R"("a\udc00b")")),
                         {"\"name\" is not UTF-8 text", "colorize.json: not valid JSON"});
  // Nearby values that json-glib writes in a form it reads are kept.
  const ModelInfo info = parse_model_info(
      to_json(with(valid_members(), "training", R"({"n": [1.5e22, 1e16, 1e23], "s": "\ud83d\ude00 é"})")), kOrigin);
  EXPECT_EQ(parse_model_info(colorize::serialize_model_info(info), kOrigin).training_json, info.training_json);
}

TEST(Metadata, InvalidJsonIsRejected) {
  EXPECT_NE(error_for("{\"format_version\": 1,").find(
                std::string(kOrigin) + ": colorize.json: not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_for("").find("colorize.json: "), std::string::npos);
  EXPECT_NE(error_for("[1, 2]").find("top level must be a JSON object"), std::string::npos);
}

TEST(Metadata, RoundTrip) {
  ModelInfo info;
  info.color_space = ColorSpace::Rgb;
  info.input_size = 384;
  info.size_multiple = 128;
  info.normalization = {45.5, -0.25, 0.1 + 0.2};  // 0.30000000000000004
  info.name = "name \"quoted\"";
  info.description = "line 1\nline 2 \xc3\xa9";
  info.license = "GPL-3.0-or-later";
  info.architecture_json = R"({"type":"unet","depth":3,"skips":true})";
  info.training_json = R"({"epochs":2,"loss":[0.5,0.25]})";

  const std::string text = colorize::serialize_model_info(info);
  const ModelInfo back = parse_model_info(text, kOrigin);
  EXPECT_EQ(back.format_version, info.format_version);
  EXPECT_EQ(back.color_space, info.color_space);
  EXPECT_EQ(back.input_size, info.input_size);
  EXPECT_EQ(back.size_multiple, info.size_multiple);
  EXPECT_EQ(back.normalization.l_scale, info.normalization.l_scale);
  EXPECT_EQ(back.normalization.l_offset, info.normalization.l_offset);
  EXPECT_EQ(back.normalization.ab_scale, info.normalization.ab_scale);
  EXPECT_EQ(back.name, info.name);
  EXPECT_EQ(back.description, info.description);
  EXPECT_EQ(back.license, info.license);
  EXPECT_EQ(back.architecture_json, info.architecture_json);
  EXPECT_EQ(back.training_json, info.training_json);
  // Stable: serializing the parsed result gives the same text.
  EXPECT_EQ(colorize::serialize_model_info(back), text);
}

TEST(Metadata, SerializeDefaultsIsValid) {
  const ModelInfo back = parse_model_info(colorize::serialize_model_info(ModelInfo{}), kOrigin);
  EXPECT_EQ(back.color_space, ColorSpace::Lab);
  EXPECT_EQ(back.input_size, 256);
  EXPECT_EQ(back.name, "");
}

TEST(Metadata, SerializeRejectsBrokenArchitectureText) {
  ModelInfo info;
  info.architecture_json = "[1, 2]";
  EXPECT_THROW(colorize::serialize_model_info(info), ModelError);
  info.architecture_json = "{";
  EXPECT_THROW(colorize::serialize_model_info(info), ModelError);
}

TEST(Metadata, ColorSpaceNames) {
  EXPECT_STREQ(colorize::to_string(ColorSpace::Lab), "lab");
  EXPECT_STREQ(colorize::to_string(ColorSpace::Rgb), "rgb");
}

}  // namespace
