// The strip engine (core/strips.cpp): apply() over a whole picture from a
// row source to a row sink, colorizing in a worker between them.
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "colorize/error.h"
#include "colorize/strips.h"
#include "pipeline_helpers.h"

namespace colorize {
namespace {

using testing::apply_whole;
using testing::identical;
using testing::test_image;
using testing::test_map;

/// Copies the picture's rows into the engine's buffers (as a decoder does),
/// counting reads; throws at row `fail_at` when it is set.
class CopyingSource final : public RowSource {
 public:
  explicit CopyingSource(cv::Mat image, int fail_at = -1) : image_(std::move(image)), fail_at_(fail_at) {}
  cv::Size size() const override { return image_.size(); }
  int type() const override { return image_.type(); }
  cv::Mat read(int y0, int count, cv::Mat &buffer) override {
    ++reads;
    if (fail_at_ >= 0 && y0 + count > fail_at_) throw ImageError("damaged at row " + std::to_string(fail_at_));
    if (next_ >= 0 && y0 != next_) throw std::logic_error("rows read out of order");
    next_ = y0 + count;
    if (!buffer.empty()) ++reused;
    cv::Mat rows = rows_in(buffer, count);
    image_.rowRange(y0, y0 + count).copyTo(rows);
    return rows;
  }
  std::atomic<int> reads{0};
  int reused = 0;

 private:
  cv::Mat image_;
  int fail_at_;
  int next_ = -1;
};

/// Collects the rows it is given, checking their order.
class CollectingSink final : public RowSink {
 public:
  explicit CollectingSink(cv::Size size, int type) : image(size, type, cv::Scalar::all(0)) {}
  void write(int y0, const cv::Mat &rows) override {
    if (y0 != next) throw std::logic_error("rows written out of order");
    next = y0 + rows.rows;
    ++strips;
    rows.copyTo(image.rowRange(y0, y0 + rows.rows));
  }
  cv::Mat image;
  int next = 0;
  int strips = 0;
};

int result_type(const cv::Mat &in) {
  return CV_MAKETYPE(in.depth(), in.channels() == 2 || in.channels() == 4 ? 4 : 3);
}

TEST(Strips, SameAsOneApplyForEveryLayoutAndStripHeight) {
  const cv::Size size(37, 29);
  for (int depth : {CV_8U, CV_16U, CV_32F})
    for (int channels = 1; channels <= 4; ++channels) {
      const cv::Mat in = test_image(size, depth, channels, 7 + channels);
      const AbMap map = test_map({9, 7}, size, 40.0, 3);
      const cv::Mat expected = apply_whole(map, in);
      for (int rows : {1, 5, 8, 29, 100}) {
        StripOptions options;
        options.strip_rows = rows;
        CopyingSource copying(in);
        CollectingSink a(size, result_type(in));
        apply_strips(map, copying, a, {}, options);
        EXPECT_TRUE(identical(a.image, expected)) << depth << " " << channels << " " << rows;
        EXPECT_EQ(a.strips, (size.height + std::min(rows, size.height) - 1) / std::min(rows, size.height));

        MatRowSource views(in);
        CollectingSink b(size, result_type(in));
        apply_strips(map, views, b, {}, options);
        EXPECT_TRUE(identical(b.image, expected)) << depth << " " << channels << " " << rows;
      }
    }
}

TEST(Strips, EngineBuffersAreReused) {
  const cv::Mat in = test_image({20, 100}, CV_8U, 3, 1);
  const AbMap map = test_map({4, 20}, in.size(), 30.0, 1);
  StripOptions options;
  options.strip_rows = 10;
  CopyingSource source(in);
  CollectingSink sink(in.size(), CV_8UC3);
  apply_strips(map, source, sink, {}, options);
  EXPECT_EQ(source.reads, 10);
  // Two or three strips are in flight at a time; the rest reuse them.
  EXPECT_GE(source.reused, 6);
}

TEST(Strips, ViewsAreOverwrittenOnlyInPlace) {
  const cv::Mat original = test_image({30, 24}, CV_8U, 3, 5);
  const AbMap map = test_map({5, 4}, original.size(), 50.0, 2);
  const cv::Mat expected = apply_whole(map, original);

  cv::Mat image = original.clone();
  MatRowSource source(image);
  cv::Mat out(image.size(), CV_8UC3);
  MatRowSink sink(out);
  apply_strips(map, source, sink, {}, {});
  EXPECT_TRUE(identical(image, original));
  EXPECT_TRUE(identical(out, expected));

  // In place, the result is in the source's own rows even for a sink that
  // keeps nothing.
  struct DiscardingSink final : RowSink {
    void write(int, const cv::Mat &) override {}
  } discard;
  apply_strips(map, source, discard, {}, {});
  EXPECT_TRUE(identical(image, original));
  StripOptions in_place;
  in_place.in_place = true;
  in_place.strip_rows = 7;
  apply_strips(map, source, discard, {}, in_place);
  EXPECT_TRUE(identical(image, expected));
}

TEST(Strips, SourceErrorsReachTheCaller) {
  const cv::Mat in = test_image({16, 64}, CV_8U, 1, 2);
  const AbMap map = test_map({4, 8}, in.size(), 30.0, 1);
  StripOptions options;
  options.strip_rows = 8;
  CopyingSource source(in, 40);
  CollectingSink sink(in.size(), CV_8UC3);
  EXPECT_THROW(apply_strips(map, source, sink, {}, options), ImageError);
  EXPECT_LE(sink.next, 40);
  EXPECT_EQ(source.reads, 6);  // nothing is read after the error
}

TEST(Strips, SinkErrorsStopTheReader) {
  const cv::Mat in = test_image({16, 400}, CV_8U, 3, 2);
  const AbMap map = test_map({4, 8}, in.size(), 30.0, 1);
  StripOptions options;
  options.strip_rows = 8;
  struct FailingSink final : RowSink {
    void write(int, const cv::Mat &) override { throw ImageError("disk full"); }
  } sink;
  CopyingSource source(in);
  EXPECT_THROW(apply_strips(map, source, sink, {}, options), ImageError);
  EXPECT_LE(source.reads, 4);  // stopped at the first write, not run to the end
}

TEST(Strips, CancelStopsEarly) {
  const cv::Mat in = test_image({16, 400}, CV_16U, 4, 2);
  const AbMap map = test_map({4, 8}, in.size(), 30.0, 1);
  StripOptions options;
  options.strip_rows = 8;
  CopyingSource source(in);
  CollectingSink sink(in.size(), CV_16UC4);
  std::vector<double> seen;
  auto progress = [&](double f) {
    seen.push_back(f);
    return seen.size() < 3;
  };
  EXPECT_THROW(apply_strips(map, source, sink, {}, options, progress), Cancelled);
  EXPECT_LE(sink.strips, 3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_DOUBLE_EQ(seen[0], 8.0 / 400);
  EXPECT_DOUBLE_EQ(seen[2], 24.0 / 400);
  EXPECT_LE(source.reads, 6);
}

TEST(Strips, ProgressEndsAtOne) {
  const cv::Mat in = test_image({10, 33}, CV_8U, 2, 4);
  const AbMap map = test_map({3, 9}, in.size(), 30.0, 1);
  StripOptions options;
  options.strip_rows = 10;
  MatRowSource source(in);
  CollectingSink sink(in.size(), CV_8UC4);
  double last = 0;
  int calls = 0;
  apply_strips(map, source, sink, {}, options, [&](double f) {
    EXPECT_GT(f, last);
    last = f;
    ++calls;
    return true;
  });
  EXPECT_EQ(calls, 4);
  EXPECT_DOUBLE_EQ(last, 1.0);
}

TEST(Strips, OnlyTheRowsAskedFor) {
  const cv::Mat in = test_image({21, 40}, CV_8U, 4, 6);
  const AbMap map = test_map({5, 8}, in.size(), 30.0, 2);
  const cv::Mat expected = apply_whole(map, in);
  StripOptions options;
  options.strip_rows = 4;
  options.rows = cv::Range(9, 31);
  CopyingSource source(in);
  struct Sink final : RowSink {
    int first = -1, next = -1;
    cv::Mat image;
    void write(int y0, const cv::Mat &rows) override {
      if (first < 0) first = next = y0;
      EXPECT_EQ(y0, next);
      next = y0 + rows.rows;
      rows.copyTo(image.rowRange(y0, y0 + rows.rows));
    }
  } sink;
  sink.image = cv::Mat(in.size(), CV_8UC4, cv::Scalar::all(0));
  std::vector<double> seen;
  StripTimes times;
  apply_strips(map, source, sink, {}, options, [&](double f) { seen.push_back(f); return true; }, &times);
  EXPECT_EQ(sink.first, 9);
  EXPECT_EQ(sink.next, 31);
  EXPECT_TRUE(identical(sink.image.rowRange(9, 31), expected.rowRange(9, 31)));
  EXPECT_EQ(cv::countNonZero(sink.image.rowRange(0, 9).reshape(1)), 0);
  ASSERT_EQ(seen.size(), 6u);  // 4 + 4 + 4 + 4 + 4 + 2 rows
  EXPECT_DOUBLE_EQ(seen[0], 4.0 / 22);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  EXPECT_GT(times.apply, 0.0);
  EXPECT_GT(times.read, 0.0);

  options.rows = cv::Range(30, 41);
  EXPECT_THROW(apply_strips(map, source, sink, {}, options), Error);
}

TEST(Strips, BadArguments) {
  const cv::Mat in = test_image({10, 10}, CV_8U, 3, 4);
  const AbMap map = test_map({3, 3}, {10, 12}, 30.0, 1);
  MatRowSource source(in);
  CollectingSink sink(in.size(), CV_8UC3);
  EXPECT_THROW(apply_strips(map, source, sink, {}, {}), Error);  // map made for another size
  StripOptions negative;
  negative.strip_rows = -1;
  EXPECT_THROW(strip_height(negative, {10, 10}), Error);
  StripOptions by_pixels;
  by_pixels.strip_pixels = 1000;
  EXPECT_EQ(strip_height(by_pixels, {100, 500}), 10);
  EXPECT_EQ(strip_height(by_pixels, {1000, 500}), 8);  // at least 8 rows
  EXPECT_EQ(strip_height(by_pixels, {1000, 3}), 3);    // at most the picture
}

}  // namespace
}  // namespace colorize
