// The `colorize` program, run as a user would: the built binary (path in
// $COLORIZE_CLI) on files in a temporary folder, with a tiny untrained model.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sys/wait.h>
// libjpeg after <cstdio> (it needs FILE).
#include <cstdio>
#include <jpeglib.h>

#include "colorize/color.h"
#include "colorize/model_path.h"
#include "support.h"

namespace {

using colorize::testing::TempDir;
using colorize::testing::data_path;

struct CliRun {
  int status = -1;  ///< exit code, -1 when it did not exit normally
  std::string out, err;
};

/// Runs the program with `args`; `env` (name, value) pairs are set in its
/// environment on top of this process's.
CliRun run_cli(const std::vector<std::string> &args,
               const std::vector<std::pair<std::string, std::string>> &env = {}) {
  const char *cli = std::getenv("COLORIZE_CLI");
  CliRun r;
  if (!cli) {
    ADD_FAILURE() << "COLORIZE_CLI is not set";
    return r;
  }
  std::vector<char *> argv{const_cast<char *>(cli)};
  for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  gchar **envp = g_get_environ();
  for (const auto &[name, value] : env)
    envp = g_environ_setenv(envp, name.c_str(), value.c_str(), TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError *error = nullptr;
  const bool spawned = g_spawn_sync(nullptr, argv.data(), envp, G_SPAWN_DEFAULT,
                                    nullptr, nullptr, &out, &err, &wait_status,
                                    &error);
  g_strfreev(envp);
  if (!spawned) {
    ADD_FAILURE() << "cannot run " << cli << ": " << error->message;
    g_error_free(error);
    return r;
  }
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  if (WIFEXITED(wait_status)) r.status = WEXITSTATUS(wait_status);
  return r;
}

std::string read_bytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

bool exists(const std::string &path) {
  return g_file_test(path.c_str(), G_FILE_TEST_EXISTS);
}

/// Names in `dir` starting with '.', i.e. leftover temporary files.
std::vector<std::string> hidden_files(const std::string &dir) {
  std::vector<std::string> names;
  GDir *d = g_dir_open(dir.c_str(), 0, nullptr);
  while (const char *n = d ? g_dir_read_name(d) : nullptr)
    if (n[0] == '.') names.push_back(n);
  if (d) g_dir_close(d);
  return names;
}

/// Mean absolute difference of the L channels of two BGR(A)/gray images.
double l_difference(const cv::Mat &a, const cv::Mat &b) {
  const cv::Mat la = colorize::luminance(a, colorize::ChannelOrder::Bgr);
  const cv::Mat lb = colorize::luminance(b, colorize::ChannelOrder::Bgr);
  return cv::norm(la, lb, cv::NORM_L1) / double(la.total());
}

/// Writes `pixels` (8-bit, 3 = RGB or 4 = CMYK channels) as a JPEG with
/// libjpeg directly, adding an APP1 marker with `app1` when not empty.
/// (OpenCV can write neither CMYK nor extra markers.)
void write_jpeg(const std::string &path, const cv::Mat &pixels,
                const std::string &app1) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);  // exits on error: fine in a test helper
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = JDIMENSION(pixels.cols);
  c.image_height = JDIMENSION(pixels.rows);
  c.input_components = pixels.channels();
  c.in_color_space = pixels.channels() == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_start_compress(&c, TRUE);
  if (!app1.empty())
    jpeg_write_marker(&c, JPEG_APP0 + 1,
                      reinterpret_cast<const JOCTET *>(app1.data()),
                      unsigned(app1.size()));
  for (int y = 0; y < pixels.rows; ++y) {
    JSAMPROW row = const_cast<JSAMPLE *>(pixels.ptr<JSAMPLE>(y));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_dir_ = new TempDir();
    colorize::nets::UNetConfig config;
    config.depth = 4;
    config.width = 8;
    model_ = colorize::testing::write_model(
        model_dir_->file("tiny.pt"), config,
        colorize::testing::info_for(config));
  }
  static void TearDownTestSuite() {
    delete model_dir_;
    model_dir_ = nullptr;
  }

  CliRun colorize(std::vector<std::string> args) {
    args.insert(args.begin(), {"--model", model_});
    return run_cli(args);
  }

  TempDir dir_;
  static TempDir *model_dir_;
  static std::string model_;
};
TempDir *CliTest::model_dir_ = nullptr;
std::string CliTest::model_;

TEST_F(CliTest, FolderWithCorruptFileDoesTheOthersAndFails) {
  write_bytes(dir_.file("a.jpg"), read_bytes(data_path("china.jpg")));
  write_bytes(dir_.file("b.png"), read_bytes(data_path("coffee.png")));
  write_bytes(dir_.file("broken.jpg"), "this is not a JPEG file at all");
  const CliRun r = colorize({dir_.path()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_EQ(cv::imread(dir_.file("a-colorized.jpg")).size(),
            cv::Size(640, 427));
  EXPECT_EQ(cv::imread(dir_.file("b-colorized.png")).size(),
            cv::Size(600, 400));
  EXPECT_FALSE(exists(dir_.file("broken-colorized.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
  EXPECT_NE(r.err.find("2 colorized, 1 failed"), std::string::npos) << r.err;
}

TEST_F(CliTest, TruncatedJpegFailsAndLeavesNoFile) {
  const std::string bytes = read_bytes(data_path("flower.jpg"));
  write_bytes(dir_.file("cut.jpg"), bytes.substr(0, bytes.size() / 2));
  const CliRun r = colorize({dir_.file("cut.jpg")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cut.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir_.file("cut-colorized.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, NeverOverwritesAnInputWithoutInPlace) {
  const std::string original = read_bytes(data_path("coffee.png"));
  write_bytes(dir_.file("c.png"), original);
  CliRun r = colorize({"--output", dir_.file("c.png"), dir_.file("c.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--in-place"), std::string::npos) << r.err;
  // An output folder that is the input's own folder: same file name.
  r = colorize({"--output", dir_.path() + "/", dir_.file("c.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(read_bytes(dir_.file("c.png")), original);
}

TEST_F(CliTest, InPlaceReplacesTheInput) {
  const std::string original = read_bytes(data_path("coffee.png"));
  write_bytes(dir_.file("c.png"), original);
  const CliRun r = colorize({"--in-place", dir_.file("c.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_bytes(dir_.file("c.png")), original);
  const cv::Mat result = cv::imread(dir_.file("c.png"), cv::IMREAD_UNCHANGED);
  const cv::Mat input = cv::imread(data_path("coffee.png"));
  ASSERT_EQ(result.size(), input.size());
  EXPECT_LT(l_difference(result, input), 0.5);
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, SixteenBitPngStaysSixteenBit) {
  cv::Mat gray(48, 80, CV_16UC1);
  for (int y = 0; y < gray.rows; ++y)
    for (int x = 0; x < gray.cols; ++x)
      gray.at<uint16_t>(y, x) = uint16_t(x * 800 + y * 37);
  ASSERT_TRUE(cv::imwrite(dir_.file("deep.png"), gray));
  // Strength 0: no colour to clip out of gamut, so L must survive at 16-bit
  // precision (an 8-bit detour would cost ~0.2 L on average).
  const CliRun r = colorize({"--strength", "0", dir_.file("deep.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat out =
      cv::imread(dir_.file("deep-colorized.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(out.type(), CV_16UC3);
  EXPECT_EQ(out.size(), gray.size());
  EXPECT_LT(l_difference(out, gray), 0.01);
  // 8-bit values scaled to 16 bits are multiples of 257.
  int not_8bit = 0;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x)
      not_8bit += out.at<cv::Vec3w>(y, x)[1] % 257 != 0;
  EXPECT_GT(not_8bit, out.rows * out.cols / 2);
}

TEST_F(CliTest, PngAlphaIsKept) {
  cv::Mat bgra = cv::imread(data_path("chelsea.png"));
  cv::cvtColor(bgra, bgra, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < bgra.rows; ++y)
    for (int x = 0; x < bgra.cols; ++x)
      bgra.at<cv::Vec4b>(y, x)[3] = uint8_t((x + 3 * y) % 256);
  ASSERT_TRUE(cv::imwrite(dir_.file("cat.png"), bgra));
  const CliRun r = colorize({"--output", dir_.file("out.png"), dir_.file("cat.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat out = cv::imread(dir_.file("out.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(out.type(), CV_8UC4);
  cv::Mat a_in, a_out;
  cv::extractChannel(bgra, a_in, 3);
  cv::extractChannel(out, a_out, 3);
  EXPECT_EQ(cv::norm(a_in, a_out, cv::NORM_INF), 0.0);
}

TEST_F(CliTest, JpegKeepsSizeBrightnessAndMarkers) {
  // rocket.jpg carries a COM marker; it must survive the streamed rewrite.
  const std::string in = data_path("rocket.jpg");
  ASSERT_NE(read_bytes(in).find("cmp3.10.3.2Lq3"), std::string::npos);
  const CliRun r = colorize({"--output", dir_.file("r.jpg"), "--quality", "95", in});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat input = cv::imread(in);
  const cv::Mat out = cv::imread(dir_.file("r.jpg"));
  ASSERT_EQ(out.size(), input.size());
  EXPECT_LT(l_difference(out, input), 1.5);
  EXPECT_NE(read_bytes(dir_.file("r.jpg")).find("cmp3.10.3.2Lq3"),
            std::string::npos);
}

TEST_F(CliTest, JpegKeepsExifMarker) {
  cv::Mat rgb = cv::imread(data_path("flower.jpg"));
  cv::cvtColor(rgb, rgb, cv::COLOR_BGR2RGB);
  const std::string exif("Exif\0\0MM\0*\0\0\0\x08\0\0test-exif-payload", 30);
  write_jpeg(dir_.file("e.jpg"), rgb, exif);
  const CliRun r = colorize({dir_.file("e.jpg")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_bytes(dir_.file("e-colorized.jpg")).find(exif),
            std::string::npos);
}

/// Luminance quantisation table of a JPEG file (natural order).
std::vector<unsigned> luma_table(const std::string &path) {
  std::vector<unsigned> table;
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) return table;
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_stdio_src(&d, f);
  jpeg_read_header(&d, TRUE);
  for (int i = 0; i < DCTSIZE2; ++i)
    table.push_back(d.quant_tbl_ptrs[0]->quantval[i]);
  jpeg_destroy_decompress(&d);
  std::fclose(f);
  return table;
}

TEST_F(CliTest, JpegKeepsCompressionUnlessQualityGiven) {
  const std::string in = data_path("china.jpg");
  CliRun r = colorize({"--output", dir_.file("same.jpg"), in});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(luma_table(dir_.file("same.jpg")), luma_table(in));
  r = colorize({"--quality", "30", "--output", dir_.file("q30.jpg"), in});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(luma_table(dir_.file("q30.jpg")), luma_table(in));
  EXPECT_LT(read_bytes(dir_.file("q30.jpg")).size(),
            read_bytes(dir_.file("same.jpg")).size());
}

TEST_F(CliTest, CmykJpegIsRefusedClearly) {
  cv::Mat cmyk(64, 96, CV_8UC4, cv::Scalar(10, 200, 30, 0));
  write_jpeg(dir_.file("k.jpg"), cmyk, "");
  const CliRun r = colorize({dir_.file("k.jpg")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("k.jpg: CMYK"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir_.file("k-colorized.jpg")));
}

TEST_F(CliTest, GrayJpegBecomesColourAndStrengthZeroIsGray) {
  cv::Mat gray = cv::imread(data_path("china.jpg"), cv::IMREAD_GRAYSCALE);
  ASSERT_TRUE(cv::imwrite(dir_.file("g.jpg"), gray));
  CliRun r = colorize({dir_.file("g.jpg")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat out = cv::imread(dir_.file("g-colorized.jpg"), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(out.channels(), 3);
  EXPECT_LT(l_difference(out, gray), 1.5);

  r = colorize({"--strength", "0", "--output", dir_.file("s0.png"),
                data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat s0 = cv::imread(dir_.file("s0.png"));
  std::vector<cv::Mat> ch;
  cv::split(s0, ch);
  EXPECT_LE(cv::norm(ch[0], ch[1], cv::NORM_INF), 1.0);
  EXPECT_LE(cv::norm(ch[1], ch[2], cv::NORM_INF), 1.0);
}

TEST_F(CliTest, SeveralInputsGoToOutputFolder) {
  const CliRun r = colorize({"--output", dir_.file("out"), data_path("china.jpg"),
                          data_path("astronaut.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(exists(dir_.file("out/china.jpg")));
  EXPECT_TRUE(exists(dir_.file("out/astronaut.png")));
}

TEST_F(CliTest, MissingModelIsNamed) {
  const std::string missing = dir_.file("no-such-model.pt");
  const CliRun r = run_cli({"--model", missing, data_path("china.jpg")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(CliTest, ModelGivingNanFailsAndWritesNothing) {
  // Finite on the load-time check's zeros, NaN where L < 50.
  const std::string json =
      colorize::serialize_model_info(colorize::testing::info_for(colorize::testing::tiny_unet(2)));
  const std::string model = colorize::testing::save_module(
      dir_.file("nan.pt"),
      colorize::testing::scripted_module("torch.cat([torch.sqrt(x), torch.sqrt(x)], 1)"),
      json.c_str());
  const CliRun r = run_cli({"--model", model, "--output", dir_.file("out.jpg"),
                            data_path("china.jpg")});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("the model produced non-finite values (NaN or Inf)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(exists(dir_.file("out.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, UsageErrors) {
  EXPECT_EQ(colorize({"--strength", "5", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({"--strength", "abc", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({"--device", "tpu", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({"--quality", "101", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({}).status, 2);
  EXPECT_EQ(run_cli({"--list-models", data_path("china.jpg")}).status, 2);
  const CliRun help = run_cli({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("--list-models"), std::string::npos);
  EXPECT_NE(help.out.find("COLORIZE_MODEL_PATH"), std::string::npos);
}

/// Models found by name: $COLORIZE_MODEL_PATH = first:second, and the user's
/// data folder moved to a temporary one (XDG_DATA_HOME), so the real user's
/// models play no part.
class CliModelPathTest : public CliTest {
 protected:
  void SetUp() override {
    for (const auto *d : {&first_, &second_, &empty_})
      ASSERT_EQ(g_mkdir_with_parents(d->c_str(), 0777), 0);
    user_models_ = data_home_ + "/gimp-colorize/models";
  }

  /// The program with COLORIZE_MODEL_PATH = `folders` (':'-joined).
  CliRun run_with_path(const std::vector<std::string> &args,
                       const std::vector<std::string> &folders) {
    std::string path;
    for (const auto &f : folders)
      path += (path.empty() ? "" : G_SEARCHPATH_SEPARATOR_S) + f;
    return run_cli(args, {{"COLORIZE_MODEL_PATH", path},
                          {"XDG_DATA_HOME", data_home_}});
  }
  CliRun run_in_path(const std::vector<std::string> &args) {
    return run_with_path(args, {first_, second_});
  }

  void copy_model(const std::string &to) {
    const std::string dir = std::filesystem::path(to).parent_path().string();
    ASSERT_EQ(g_mkdir_with_parents(dir.c_str(), 0777), 0);
    write_bytes(to, read_bytes(model_));
  }
  /// A small model whose colorize.json carries `description`.
  void write_described(const std::string &path, const std::string &description) {
    const auto config = colorize::testing::tiny_unet();
    colorize::ModelInfo info = colorize::testing::info_for(config);
    info.description = description;
    info.license = "CC0-1.0";
    colorize::testing::write_model(path, config, info);
  }

  /// True when the installed model folder (last in every search path) holds
  /// `file`: a test that needs it absent is skipped then.
  static bool installed(const std::string &file) {
    return exists(colorize::installed_model_dir() + "/" + file);
  }

  const std::string first_ = dir_.file("first");
  const std::string second_ = dir_.file("second");
  const std::string empty_ = dir_.file("empty");
  const std::string data_home_ = dir_.file("data-home");
  std::string user_models_;
};

TEST_F(CliModelPathTest, DefaultModelIsFoundWithoutModelOption) {
  copy_model(second_ + "/colorize-default.pt");
  const CliRun r = run_in_path({"-v", "--output", dir_.file("out.png"),
                                data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + second_ + "/colorize-default.pt on "),
            std::string::npos) << r.err;
  EXPECT_EQ(cv::imread(dir_.file("out.png")).size(), cv::Size(600, 400));
}

TEST_F(CliModelPathTest, FirstFolderWins) {
  copy_model(first_ + "/colorize-default.pt");
  write_bytes(second_ + "/colorize-default.pt", "not a model");
  CliRun r = run_in_path({"-v", "--output", dir_.file("a.png"),
                          data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find(first_ + "/colorize-default.pt"), std::string::npos) << r.err;
  // the other way round, the broken file is the one used
  r = run_with_path({"--output", dir_.file("b.png"), data_path("coffee.png")},
                    {second_, first_});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(second_ + "/colorize-default.pt: not a TorchScript model file"),
            std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir_.file("b.png")));
}

TEST_F(CliModelPathTest, ModelOptionTakesANameOrAPath) {
  copy_model(second_ + "/mine.pt");
  for (const std::string name : {"mine", "mine.pt"}) {
    const CliRun r = run_in_path({"-v", "--model", name, "--output",
                                  dir_.file(name + ".png"), data_path("coffee.png")});
    ASSERT_EQ(r.status, 0) << name << ": " << r.err;
    EXPECT_NE(r.err.find("model " + second_ + "/mine.pt on "), std::string::npos)
        << r.err;
  }
  // a path is used as it is, even outside the search path
  const CliRun r = run_in_path({"-v", "--model", model_, "--output",
                                dir_.file("p.png"), data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + model_ + " on "), std::string::npos) << r.err;
}

TEST_F(CliModelPathTest, UserDataFolderIsSearchedAfterThePath) {
  copy_model(user_models_ + "/colorize-default.pt");
  copy_model(user_models_ + "/mine.pt");
  copy_model(first_ + "/mine.pt");
  CliRun r = run_in_path({"-v", "--output", dir_.file("u.png"), data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + user_models_ + "/colorize-default.pt on "),
            std::string::npos) << r.err;
  r = run_in_path({"-v", "--model", "mine", "--output", dir_.file("m.png"),
                   data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + first_ + "/mine.pt on "), std::string::npos) << r.err;
}

TEST_F(CliModelPathTest, UnknownNameNamesTheFoldersSearched) {
  const CliRun r = run_in_path({"--model", "no-such-model-here", "--output",
                                dir_.file("x.png"), data_path("coffee.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no-such-model-here"), std::string::npos) << r.err;
  for (const auto &folder : {first_, second_, user_models_,
                             colorize::installed_model_dir()})
    EXPECT_NE(r.err.find(folder), std::string::npos) << folder << "\n" << r.err;
  EXPECT_FALSE(exists(dir_.file("x.png")));
}

TEST_F(CliModelPathTest, MissingDefaultModelSuggestsModelOption) {
  if (installed("colorize-default.pt"))
    GTEST_SKIP() << "a default model is installed in "
                 << colorize::installed_model_dir();
  copy_model(second_ + "/other.pt");
  const CliRun r = run_in_path({"--output", dir_.file("x.png"), data_path("coffee.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("colorize-default.pt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--model FILE"), std::string::npos) << r.err;
  for (const auto &folder : {first_, second_, user_models_})
    EXPECT_NE(r.err.find(folder), std::string::npos) << folder << "\n" << r.err;
  EXPECT_FALSE(exists(dir_.file("x.png")));
}

TEST_F(CliModelPathTest, ListModelsShowsEveryModelAndReportsBrokenOnes) {
  write_described(first_ + "/alpha.pt", "Alpha, for the listing test");
  write_described(first_ + "/colorize-default.pt", "Default of the first folder");
  write_bytes(first_ + "/broken.pt", "not a model file");
  write_described(second_ + "/colorize-default.pt", "Default of the second folder");
  write_described(second_ + "/zeta.pt", "Zeta, in the second folder");
  ASSERT_EQ(g_mkdir_with_parents(user_models_.c_str(), 0777), 0);
  write_described(user_models_ + "/own.pt", "The user's own model");

  const CliRun r = run_in_path({"--list-models"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string &text : std::vector<std::string>{
           "alpha\n", "Alpha, for the listing test", "colorize-default (default)",
        "Default of the first folder", "zeta\n", "Zeta, in the second folder",
        "own\n", "The user's own model", "colour space: lab",
        "resolution:   8 px", "licence:      CC0-1.0", "broken\n",
        first_ + "/broken.pt: not a TorchScript model file",
        first_ + "/alpha.pt", first_ + "/colorize-default.pt",
        second_ + "/zeta.pt", user_models_ + "/own.pt"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  // the second folder's default is hidden by the first's
  EXPECT_EQ(r.out.find("Default of the second folder"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(second_ + "/colorize-default.pt"), std::string::npos) << r.out;
  // listed in search-path order
  EXPECT_LT(r.out.find("alpha\n"), r.out.find("zeta\n"));
  EXPECT_LT(r.out.find("zeta\n"), r.out.find("own\n"));
}

TEST_F(CliModelPathTest, ListModelsWithNoModelsSaysWhereItLooked) {
  if (!colorize::list_models({colorize::installed_model_dir()}).empty())
    GTEST_SKIP() << "models are installed in " << colorize::installed_model_dir();
  const CliRun r = run_with_path({"--list-models"}, {empty_, dir_.file("missing")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("No model files"), std::string::npos) << r.out;
  for (const auto &folder : {empty_, dir_.file("missing"), user_models_,
                             colorize::installed_model_dir()})
    EXPECT_NE(r.out.find(folder), std::string::npos) << folder << "\n" << r.out;
  EXPECT_NE(r.out.find(dir_.file("missing") + " (does not exist)"), std::string::npos)
      << r.out;
}

}  // namespace
