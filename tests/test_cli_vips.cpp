// The `colorize` program's PNG, TIFF and WebP files, which it streams
// through libvips: metadata, bit depths, alpha and damaged input. Inputs are
// written and outputs read with libvips (metadata) and OpenCV (pixels).
#include <gtest/gtest.h>
#include <vips/vips.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "cli_support.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::data_path;
using colorize::testing::exists;
using colorize::testing::hidden_files;
using colorize::testing::l_difference;
using colorize::testing::read_bytes;
using colorize::testing::write_bytes;

/// EXIF block with one tag, ImageDescription = `text` (at most 3 bytes is
/// stored in the entry itself, so `text` must be longer).
std::string exif_with_description(const std::string &text) {
  std::string e("Exif\0\0II*\0\x08\0\0\0", 14);
  const uint32_t count = uint32_t(text.size() + 1), offset = 8 + 2 + 12 + 4;
  auto u16 = [&](uint16_t v) { e += char(v & 0xff), e += char(v >> 8); };
  auto u32 = [&](uint32_t v) { u16(uint16_t(v & 0xffff)), u16(uint16_t(v >> 16)); };
  u16(1);                                        // one entry
  u16(0x010e), u16(2), u32(count), u32(offset);  // ImageDescription, ASCII
  u32(0);                                        // no next directory
  e += text;
  e += '\0';
  return e;
}

/// libvips' own sRGB profile.
std::string srgb_profile() {
  VipsBlob *profile = nullptr;
  EXPECT_EQ(vips_profile_load("srgb", &profile, nullptr), 0) << vips_error_buffer();
  size_t size = 0;
  const void *data = vips_blob_get(profile, &size);
  std::string bytes(static_cast<const char *>(data), size);
  vips_area_unref(VIPS_AREA(profile));
  return bytes;
}

/// `gray` (8-bit) saved by libvips as `path` with EXIF and XMP.
void save_with_metadata(const cv::Mat &gray, const std::string &path) {
  VipsImage *im = vips_image_new_from_memory_copy(gray.data, gray.total(), gray.cols, gray.rows, 1, VIPS_FORMAT_UCHAR);
  ASSERT_NE(im, nullptr);
  const std::string exif = exif_with_description("a gray test picture");
  const std::string xmp = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">colorize-test-xmp</x:xmpmeta>";
  vips_image_set_blob_copy(im, VIPS_META_EXIF_NAME, exif.data(), exif.size());
  vips_image_set_blob_copy(im, VIPS_META_XMP_NAME, xmp.data(), xmp.size());
  ASSERT_EQ(vips_image_write_to_file(im, path.c_str(), nullptr), 0) << vips_error_buffer();
  g_object_unref(im);
}

std::string blob(VipsImage *im, const char *name) {
  const void *data = nullptr;
  size_t size = 0;
  if (!vips_image_get_typeof(im, name) || vips_image_get_blob(im, name, &data, &size)) return {};
  return std::string(static_cast<const char *>(data), size);
}

std::string text(VipsImage *im, const char *name) {
  const char *value = nullptr;
  if (!vips_image_get_typeof(im, name) || vips_image_get_string(im, name, &value)) return {};
  return value;
}

class CliVipsTest : public CliTest {
 protected:
  static void SetUpTestSuite() {
    CliTest::SetUpTestSuite();
    ASSERT_EQ(VIPS_INIT("test-cli-vips"), 0);
  }
  static void TearDownTestSuite() {
    vips_shutdown();
    CliTest::TearDownTestSuite();
  }
};

cv::Mat gray_photo() {
  cv::Mat gray = cv::imread(data_path("chelsea.png"), cv::IMREAD_GRAYSCALE);
  EXPECT_FALSE(gray.empty());
  return gray;
}

}  // namespace

TEST_F(CliVipsTest, PngExifAndXmpAreKeptInPngAndXmpInTiff) {
  const cv::Mat gray = gray_photo();
  save_with_metadata(gray, dir_.file("in.png"));
  VipsImage *in = vips_image_new_from_file(dir_.file("in.png").c_str(), nullptr);
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(text(in, "exif-ifd0-ImageDescription").rfind("a gray test picture", 0), 0u) << "the input has no EXIF";
  ASSERT_NE(blob(in, VIPS_META_XMP_NAME).find("colorize-test-xmp"), std::string::npos);
  g_object_unref(in);
  for (const char *ext : {"png", "tif"}) {
    const std::string out = dir_.file(std::string("out.") + ext);
    const CliRun r = colorize({"--output", out, dir_.file("in.png")});
    ASSERT_EQ(r.status, 0) << r.err;
    VipsImage *im = vips_image_new_from_file(out.c_str(), nullptr);
    ASSERT_NE(im, nullptr) << vips_error_buffer();
    EXPECT_EQ(im->Bands, 3) << ext;
    // libvips' TIFF saver writes no EXIF directory.
    if (std::string(ext) == "png") {
      EXPECT_EQ(text(im, "exif-ifd0-ImageDescription").rfind("a gray test picture", 0), 0u) << ext;
    }
    EXPECT_NE(blob(im, VIPS_META_XMP_NAME).find("colorize-test-xmp"), std::string::npos) << ext;
    g_object_unref(im);
    const cv::Mat result = cv::imread(out, cv::IMREAD_UNCHANGED);
    ASSERT_EQ(result.size(), gray.size());
    EXPECT_LT(l_difference(result, gray), 0.6) << ext << ": the rows are not where they were";
  }
}

TEST_F(CliVipsTest, TiffColourProfileIsKept) {
  const cv::Mat bgr = cv::imread(data_path("coffee.png"));
  VipsImage *im = nullptr;
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  im = vips_image_new_from_memory_copy(rgb.data, rgb.total() * 3, rgb.cols, rgb.rows, 3, VIPS_FORMAT_UCHAR);
  ASSERT_NE(im, nullptr);
  const std::string icc = srgb_profile();
  ASSERT_FALSE(icc.empty());
  vips_image_set_blob_copy(im, VIPS_META_ICC_NAME, icc.data(), icc.size());
  ASSERT_EQ(vips_image_write_to_file(im, dir_.file("in.tif").c_str(), nullptr), 0) << vips_error_buffer();
  g_object_unref(im);
  const CliRun r = colorize({"--output", dir_.file("out.png"), dir_.file("in.tif")});
  ASSERT_EQ(r.status, 0) << r.err;
  im = vips_image_new_from_file(dir_.file("out.png").c_str(), nullptr);
  ASSERT_NE(im, nullptr);
  EXPECT_EQ(blob(im, VIPS_META_ICC_NAME), icc);
  g_object_unref(im);
}

TEST_F(CliVipsTest, DepthsAndAlphaAreKept) {
  const cv::Mat gray = gray_photo();
  cv::Mat deep, real;
  gray.convertTo(deep, CV_16U, 257.0);
  gray.convertTo(real, CV_32F, 1.0 / 255.0);
  cv::Mat with_alpha;
  cv::Mat channels[] = {gray, cv::Mat(gray.size(), CV_8U)};
  cv::randu(channels[1], 0, 256);
  cv::merge(channels, 2, with_alpha);
  ASSERT_TRUE(cv::imwrite(dir_.file("deep.png"), deep));
  ASSERT_TRUE(cv::imwrite(dir_.file("real.tif"), real));
  VipsImage *two = vips_image_new_from_memory_copy(with_alpha.data, with_alpha.total() * 2, with_alpha.cols,
                                                   with_alpha.rows, 2, VIPS_FORMAT_UCHAR);
  ASSERT_NE(two, nullptr);
  ASSERT_EQ(vips_image_write_to_file(two, dir_.file("alpha.png").c_str(), nullptr), 0) << vips_error_buffer();
  g_object_unref(two);
  struct Case {
    const char *in, *out;
    int type;
  };
  for (const Case &c : {Case{"deep.png", "deep.tif", CV_16UC3}, Case{"real.tif", "real-out.tif", CV_32FC3},
                        Case{"alpha.png", "alpha.webp", CV_8UC4}, Case{"alpha.png", "alpha-out.png", CV_8UC4}}) {
    const CliRun r = colorize({"--output", dir_.file(c.out), dir_.file(c.in)});
    ASSERT_EQ(r.status, 0) << c.in << " -> " << c.out << ": " << r.err;
    const cv::Mat out = cv::imread(dir_.file(c.out), cv::IMREAD_UNCHANGED);
    EXPECT_EQ(out.type(), c.type) << c.out;
    EXPECT_EQ(out.size(), gray.size()) << c.out;
    if (c.type == CV_8UC4 && std::string(c.out).find(".png") != std::string::npos) {
      cv::Mat a;
      cv::extractChannel(out, a, 3);
      EXPECT_EQ(cv::norm(a, channels[1], cv::NORM_INF), 0.0) << "alpha changed";
    }
  }
}

TEST_F(CliVipsTest, DamagedPngFailsAndLeavesNothing) {
  const std::string whole = read_bytes(data_path("coffee.png"));
  write_bytes(dir_.file("cut.png"), whole.substr(0, whole.size() / 2));
  for (const char *out : {"out.png", "out.tif"}) {
    const CliRun r = colorize({"--output", dir_.file(out), dir_.file("cut.png")});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find(dir_.file("cut.png") + ": "), std::string::npos) << r.err;
    EXPECT_FALSE(exists(dir_.file(out)));
  }
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}
