// The `colorize` program's progress on stderr: a bar redrawn in place
// (--progress=bar, the default on a terminal) or one plain line per file
// (--progress=plain, the default into a pipe). Runs the built binary.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::data_path;
using colorize::testing::read_bytes;
using colorize::testing::write_bytes;

constexpr const char *kClear = "\r\033[K";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// `text` cut at each carriage return: the successive states of the line.
std::vector<std::string> redraws(const std::string &text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t cr; (cr = text.find('\r', start)) != std::string::npos;
       start = cr + 1)
    parts.push_back(text.substr(start, cr - start));
  parts.push_back(text.substr(start));
  return parts;
}

class CliProgressTest : public CliTest {
 protected:
  /// Three small pictures in the test's folder (none that libpng warns
  /// about): their paths.
  std::vector<std::string> three_inputs() {
    std::vector<std::string> inputs;
    for (const char *name : {"china.jpg", "coffee.png", "flower.jpg"}) {
      inputs.push_back(dir_.file(name));
      write_bytes(inputs.back(), read_bytes(data_path(name)));
    }
    return inputs;
  }
};

TEST_F(CliProgressTest, BarRedrawsInPlaceWithFilePhaseAndTimeLeft) {
  std::vector<std::string> args = three_inputs();
  args.insert(args.begin(), "--progress=bar");
  const CliRun r = colorize(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> states = redraws(r.err);
  bool file[3] = {}, estimating = false, time_left = false, phase = false;
  for (const std::string &s : states) {
    for (int k = 0; k < 3; ++k)
      file[k] |= contains(s, "] " + std::to_string(k + 1) + "/3 ");
    // No estimate before a file is done; one after.
    if (contains(s, "] 1/3 ")) estimating |= contains(s, "estimating");
    if (contains(s, "] 3/3 ")) time_left |= contains(s, " s left");
    phase |= contains(s, "| model pass |") || contains(s, "| applying ");
  }
  EXPECT_TRUE(file[0] && file[1] && file[2]) << r.err;
  EXPECT_TRUE(estimating) << r.err;
  EXPECT_TRUE(time_left) << r.err;
  EXPECT_TRUE(phase) << r.err;
  // The bar is never ended by a newline: the line is cleared, then the
  // summary, unchanged, is the only line.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(contains(r.err, std::string(kClear) +
                                  "colorize: 3 colorized, 0 failed (")) << r.err;
  EXPECT_EQ(r.err.back(), '\n');
}

TEST_F(CliProgressTest, PlainAndPipeGiveOneLinePerFile) {
  const std::vector<std::string> inputs = three_inputs();
  std::string expected;
  for (size_t k = 0; k < inputs.size(); ++k)
    expected += "[" + std::to_string(k + 1) + "/3] " + inputs[k] + "\n";
  std::vector<std::string> plain = inputs;
  plain.insert(plain.begin(), "--progress=plain");
  for (const auto &args : {inputs, plain}) {
    const CliRun r = colorize(args);  // stderr is a pipe: auto is plain
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(contains(r.err, "\r")) << r.err;
    EXPECT_FALSE(contains(r.err, "\033")) << r.err;
    EXPECT_EQ(r.err.substr(0, expected.size()), expected) << r.err;
    EXPECT_EQ(r.err.find("colorize: 3 colorized, 0 failed ("),
              expected.size()) << r.err;
  }
}

TEST_F(CliProgressTest, ErrorDuringBarIsALineOfItsOwn) {
  std::vector<std::string> inputs = three_inputs();
  const std::string broken = dir_.file("broken.jpg");
  write_bytes(broken, "this is not a JPEG file at all");
  inputs[1] = broken;
  inputs.insert(inputs.begin(), "--progress=bar");
  const CliRun r = colorize(inputs);
  EXPECT_EQ(r.status, 1) << r.err;
  // The bar (showing file 2) cleared, the report, a newline, then the bar
  // again for file 3.
  const size_t at = r.err.find(std::string(kClear) + broken + ": ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const size_t end = r.err.find('\n', at);
  ASSERT_NE(end, std::string::npos);
  EXPECT_FALSE(contains(r.err.substr(at + 1, end - at), "\r")) << r.err;
  EXPECT_FALSE(contains(r.err.substr(at, end - at), "| ")) << r.err;
  EXPECT_TRUE(contains(r.err.substr(end), "] 3/3 ")) << r.err;
  EXPECT_TRUE(contains(r.err, std::string(kClear) +
                                  "colorize: 2 colorized, 1 failed (")) << r.err;
}

TEST_F(CliProgressTest, LibraryWarningDuringBarIsALineOfItsOwn) {
  // libpng warns about astronaut.png's colour profile on stderr itself.
  const std::string a = dir_.file("a.png"), b = dir_.file("b.png");
  write_bytes(a, read_bytes(data_path("astronaut.png")));
  write_bytes(b, read_bytes(data_path("astronaut.png")));
  const CliRun r = colorize({"--progress=bar", a, b});
  ASSERT_EQ(r.status, 0) << r.err;
  const size_t at = r.err.find("libpng warning");
  if (at == std::string::npos) GTEST_SKIP() << "this libpng does not warn";
  // After the bar, cleared, or at the start of a line.
  ASSERT_GE(at, 4u);
  EXPECT_TRUE(r.err.substr(at - 4, 4) == kClear || r.err[at - 1] == '\n')
      << r.err;
  EXPECT_EQ(r.err[r.err.find('\n', at) + 1], '\r') << r.err;
}

TEST_F(CliProgressTest, UnknownChoiceIsAUsageError) {
  const CliRun r = colorize({"--progress=fancy", data_path("china.jpg")});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "--progress must be auto, bar or plain"))
      << r.err;
}

}  // namespace
