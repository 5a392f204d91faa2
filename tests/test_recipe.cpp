// The default recipe's network and training parts: the resize-convolution
// decoder (no checkerboard), the colour-class head and its decoding, a
// training run with the class loss, --val-list, and export / eval of such
// models through the core pipeline.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ab_bins.h"
#include "class_head.h"
#include "data.h"
#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "state.h"
#include "model_io.h"
#include "nets.h"
#include "options.h"
#include "support.h"
#include "train.h"
#include "trainer_fixtures.h"

namespace fs = std::filesystem;
namespace ct = colorize::train;
namespace nets = colorize::nets;
using colorize::testing::data_path;
using colorize::testing::TempDir;

namespace {

nets::UNetConfig resize_config(int classes) {
  nets::UNetConfig c;
  c.depth = 2;
  c.width = 8;
  c.dropout_blocks = 0;
  c.upsample = nets::Upsample::Resize;
  c.classes = classes;
  return c;
}

/// Mean |y(x) - y(x+1)| + |y(y) - y(y+1)| minus the same at distance 2, over
/// the centre of the output: large when the output alternates with period 2.
double checkerboard(const torch::Tensor &y) {
  using torch::indexing::None;
  using torch::indexing::Slice;
  auto c = y.index({0, 0, Slice(16, 48), Slice(16, 48)});
  auto d1 = (c.index({Slice(), Slice(1, None)}) - c.index({Slice(), Slice(0, -1)})).abs().mean();
  auto d2 = (c.index({Slice(), Slice(2, None)}) - c.index({Slice(), Slice(0, -2)})).abs().mean();
  return (d1 - d2).item<double>();
}

TEST(ResizeDecoder, ConstantInputGivesNoCheckerboardUnlikeTransposedConvolutions) {
  torch::NoGradGuard no_grad;
  const auto x = torch::full({1, 1, 64, 64}, 0.3);
  torch::manual_seed(5);
  auto resize = nets::build_unet(resize_config(0));
  resize.eval();
  auto config = resize_config(0);
  config.upsample = nets::Upsample::Transposed;
  torch::manual_seed(5);
  auto transposed = nets::build_unet(config);
  transposed.eval();
  const auto yr = resize.forward({x}).toTensor(), yt = transposed.forward({x}).toTensor();
  EXPECT_EQ(yr.sizes(), (std::vector<int64_t>{1, 2, 64, 64}));
  EXPECT_GT(checkerboard(yt), 1e-4) << "the transposed decoder should show its period-2 pattern";
  EXPECT_LT(std::abs(checkerboard(yr)), 1e-6);
}

TEST(ClassHead, ForwardBlendsRegressionWithTheAnnealedMeanOfTheClasses) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  const auto bins = ct::bin_ab_tensor();
  auto g = nets::build_unet(resize_config(int(bins.size(0))), bins);
  g.eval();
  ASSERT_TRUE(nets::has_class_head(g));
  const auto x = torch::randn({2, 1, 16, 24});
  auto heads = g.run_method("heads", x).toTuple();
  const auto reg = heads->elements()[0].toTensor(), logits = heads->elements()[1].toTensor();
  EXPECT_EQ(reg.sizes(), (std::vector<int64_t>{2, 2, 16, 24}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, bins.size(0), 4, 6}));

  nets::set_decoding(g, 0.0, 0.38);
  EXPECT_TRUE(torch::allclose(g.forward({x}).toTensor(), reg, 1e-5, 1e-6));

  // heads() gives the logits of every other pixel of the half-resolution grid.
  nets::set_decoding(g, 1.0, 0.5);
  auto head = g.attr("head").toModule();
  const auto h = g.run_method("trunk", x).toTensor();
  const auto all = head.run_method("classify", h).toTensor();
  EXPECT_TRUE(torch::allclose(all.index({torch::indexing::Slice(), torch::indexing::Slice(),
                                         torch::indexing::Slice(0, torch::indexing::None, 2),
                                         torch::indexing::Slice(0, torch::indexing::None, 2)}),
                              logits));
  // blend 1: the annealed mean sum_q softmax(z / T)_q * bin_q, z the logits
  // of the 2x2 means of the features (the same H/4 grid), upsampled twice.
  const auto z = head.run_method("classify", torch::avg_pool2d(h, {2, 2})).toTensor();
  const auto mean = torch::einsum("nqhw,qc->nchw", {torch::softmax(z / 0.5, 1), bins});
  const auto up2 = [](const torch::Tensor &t) {
    return torch::upsample_bilinear2d(t, c10::nullopt, false, std::vector<double>{2.0, 2.0});
  };
  EXPECT_TRUE(torch::allclose(g.forward({x}).toTensor(), up2(up2(mean)), 1e-4, 1e-5));

  EXPECT_THROW(nets::set_decoding(g, 1.5, 0.5), std::invalid_argument);
  EXPECT_THROW(nets::set_decoding(g, 0.5, 0.0), std::invalid_argument);
  auto plain = nets::build_unet(resize_config(0));
  EXPECT_FALSE(nets::has_class_head(plain));
  EXPECT_THROW(nets::set_decoding(plain, 0.5, 0.38), std::invalid_argument);
  // A class head needs the bins and resize upsampling.
  EXPECT_THROW(nets::build_unet(resize_config(5)), std::invalid_argument);
  auto transposed = resize_config(int(bins.size(0)));
  transposed.upsample = nets::Upsample::Transposed;
  EXPECT_THROW(nets::build_unet(transposed, bins), std::invalid_argument);
}

TEST(ClassLoss, IsTheRebalancedSoftCrossEntropy) {
  // One 8 x 8 example: class targets on a 2 x 2 grid, left half orange,
  // right half blue.
  cv::Mat bgr(8, 8, CV_8UC3, cv::Scalar(40, 90, 200));
  bgr(cv::Rect(4, 0, 4, 8)).setTo(cv::Scalar(200, 90, 40));
  const auto batch = ct::make_batch({ct::make_example(bgr, ct::Space::Lab)}, true);
  const int q = ct::AbBins::gamut().size();
  // Uniform logits: every pixel costs log(Q), times its nearest class's
  // weight (all different here).
  auto classes = torch::arange(q, torch::kFloat) / q + 0.5;
  double expected = 0;
  for (int p = 0; p < 4; ++p) expected += classes[batch.class_index[p]].item<double>() * std::log(double(q));
  EXPECT_NE(batch.class_index[0], batch.class_index[1]);
  EXPECT_NEAR(ct::class_loss(torch::zeros({1, q, 2, 2}), batch, classes).item<double>(), expected / 4, 1e-4);
  auto weights = torch::full({q}, 2.0);
  // Logits equal to the log of the soft target: the target's entropy, the minimum.
  auto target = torch::full({1, q, 2, 2}, 1e-12);
  double entropy = 0;
  for (int p = 0; p < 4; ++p)
    for (int k = 0; k < ct::AbBins::kNeighbours; ++k) {
      const int cls = batch.class_index[k * 4 + p];
      const float w = batch.class_weight[k * 4 + p];
      if (w <= 0) continue;
      target.index_put_({0, cls, p / 2, p % 2}, target.index({0, cls, p / 2, p % 2}) + w);
      entropy -= w * std::log(w) / 4;
    }
  EXPECT_NEAR(ct::class_loss(target.log(), batch, weights).item<double>(), 2.0 * entropy, 1e-3);
  EXPECT_THROW(ct::class_loss(torch::zeros({1, q, 4, 4}), batch, weights), std::invalid_argument);
}

TEST(ClassLoss, GradientStepsOnAFixedBatchLowerIt) {
  torch::manual_seed(4);
  auto g = nets::build_unet(resize_config(ct::AbBins::gamut().size()), ct::bin_ab_tensor());
  cv::Mat bgr = cv::imread(data_path("astronaut.png"));
  ASSERT_FALSE(bgr.empty());
  const auto batch = ct::make_batch({ct::make_example(ct::center_crop(bgr, 32), ct::Space::Lab)}, true);
  const auto x = torch::from_blob(const_cast<float *>(batch.x.data()), {1, 1, 32, 32});
  std::vector<torch::Tensor> params;
  for (const auto &p : g.parameters()) params.push_back(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
  const auto weights = g.attr("bin_weight").toTensor();
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    auto logits = g.run_method("heads", x).toTuple()->elements()[1].toTensor();
    auto loss = ct::class_loss(logits, batch, weights);
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(last, 0.5 * first) << first << " -> " << last;
}

class RecipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(data_.path());
    for (const char *name : colorize::testing::kTrainPhotos)
      fs::copy_file(data_path(name), fs::path(data_.path()) / name);
  }
  ct::TrainOptions options() const {
    // The default recipe, made tiny, with enough epochs for a GAN phase.
    ct::TrainOptions o = colorize::testing::tiny_options(data_.path(), out_.path());
    o.epochs = 6;
    o.pretrain_epochs = 5;
    o.lr = 1e-3;
    o.workers = 1;
    o.seed = 11;
    return o;
  }
  TempDir data_, out_;
};

TEST_F(RecipeTest, DefaultRecipeTrainsBothHeadsAndExportsAModelCoreLoads) {
  const ct::TrainOptions defaults;
  EXPECT_EQ(defaults.upsample, ct::Upsample::Resize);
  EXPECT_GT(defaults.class_weight, 0.0);
  const auto result = ct::run_training(options());
  const auto &h = result.state.history;
  ASSERT_EQ(h.size(), 6u);
  for (const auto &e : h) EXPECT_TRUE(e.g_class > 0.0 && std::isfinite(e.g_class)) << e.g_class;
  EXPECT_EQ(h.back().phase, "gan");
  EXPECT_GT(h.back().d_loss, 0.0);

  // The rebalancing weights were set from the data (not all 1).
  auto g = ct::load_generator(ct::checkpoint_dir(out_.path(), 6));
  const auto w = g.attr("bin_weight").toTensor();
  EXPECT_GT((w.max() - w.min()).item<float>(), 0.1f);

  // Export with another decoding; core loads the file and runs it.
  const std::string path = out_.file("blend.pt");
  ct::ExportOptions e;
  e.checkpoint = ct::checkpoint_dir(out_.path(), 6);
  e.out = path;
  e.blend = 0.8;
  e.temperature = 0.6;
  e.half = true;
  ASSERT_EQ(ct::run_export(e), 0);
  auto exported = torch::jit::load(path);
  EXPECT_DOUBLE_EQ(exported.attr("blend").toDouble(), 0.8);
  EXPECT_DOUBLE_EQ(exported.attr("temperature").toDouble(), 0.6);
  const auto model = colorize::Model::load(path, {});
  EXPECT_EQ(model.info().input_size, 32);
  EXPECT_NE(model.info().architecture_json.find("\"classes\""), std::string::npos);
  // The float16 file colorizes through the pipeline, keeping the size.
  cv::Mat photo = cv::imread(data_path("chelsea-bw.jpg"), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  colorize::InferOptions infer;
  infer.order = colorize::ChannelOrder::Bgr;
  colorize::ApplyOptions apply;
  apply.order = colorize::ChannelOrder::Bgr;
  const cv::Mat out = colorize::colorize_image(model, photo, infer, apply);
  EXPECT_EQ(out.size(), photo.size());
  EXPECT_EQ(out.type(), CV_8UC3);
}

TEST(ClassHead, RebuildingKeepsWeightsAndDecodingInANewModule) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  const auto bins = ct::bin_ab_tensor();
  auto g = nets::build_unet(resize_config(int(bins.size(0))), bins);
  nets::set_decoding(g, 0.7, 0.45);
  g.eval();
  auto copy = nets::rebuild_unet(resize_config(int(bins.size(0))), g);
  EXPECT_FALSE(copy.is_training());
  EXPECT_DOUBLE_EQ(copy.attr("blend").toDouble(), 0.7);
  EXPECT_DOUBLE_EQ(copy.attr("temperature").toDouble(), 0.45);
  const auto x = torch::randn({1, 1, 16, 16});
  // (allclose: LibTorch 2.x's profiling executor may fuse later calls and
  // round differently)
  const auto y = g.forward({x}).toTensor();
  EXPECT_TRUE(torch::allclose(copy.forward({x}).toTensor(), y, 1e-5, 1e-6));
  // The copy owns its tensors.
  for (auto p : copy.parameters()) p.zero_();
  EXPECT_TRUE(torch::allclose(g.forward({x}).toTensor(), y, 1e-5, 1e-6));
  // Another config (no classes, or another width) does not fit.
  EXPECT_THROW(nets::rebuild_unet(resize_config(0), g), std::invalid_argument);
  auto wider = resize_config(int(bins.size(0)));
  wider.width *= 2;
  EXPECT_THROW(nets::rebuild_unet(wider, g), std::invalid_argument);
}

TEST_F(RecipeTest, ResumingWithOtherColourClassesIsRefused) {
  auto o = options();
  o.epochs = o.pretrain_epochs = 1;
  ct::run_training(o);
  // Replace the stored classes by shifted ones, as another build might make.
  const std::string dir = ct::checkpoint_dir(out_.path(), 1);
  auto g = ct::load_generator(dir);
  g.attr("bin_kernel").toTensor().add_(0.05);
  g.save(dir + "/generator.pt");
  auto r = options();
  r.resume = true;
  r.epochs = 2;
  r.given.insert("epochs");
  try {
    ct::run_training(r);
    ADD_FAILURE() << "resumed with other colour classes";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("colour classes"), std::string::npos) << e.what();
  }
}

TEST_F(RecipeTest, ANewRunNeverOverwritesAnEarlierOneUnlessForced) {
  auto o = options();
  o.epochs = o.pretrain_epochs = 2;
  o.class_weight = 0;
  ct::run_training(o);
  const std::string model = out_.file("model.pt");
  const auto before = fs::last_write_time(model);
  auto again = o;
  again.epochs = again.pretrain_epochs = 1;
  try {
    ct::run_training(again);
    ADD_FAILURE() << "trained into a folder holding a run";
  } catch (const ct::UsageError &e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::last_write_time(model), before);
  EXPECT_TRUE(fs::exists(ct::checkpoint_dir(out_.path(), 2)));
  // --force starts clean: no checkpoint of the longer earlier run is left.
  again.force = true;
  ct::run_training(again);
  EXPECT_TRUE(fs::exists(ct::checkpoint_dir(out_.path(), 1)));
  EXPECT_FALSE(fs::exists(ct::checkpoint_dir(out_.path(), 2)));
  EXPECT_EQ(ct::latest_checkpoint(out_.path()), ct::checkpoint_dir(out_.path(), 1));
}

TEST(RecipeState, OptionsRoundTripAndOlderRunsKeepTheirRecipe) {
  ct::TrainState s;
  s.options.data_dirs = {"/a", "/b c"};
  s.options.val_list = "/v.txt";
  s.options.prefix_weights = "utk=0.25";
  s.options.dropout = 0.2;
  s.options.class_weight = 0.7;
  const auto back = ct::state_from_json(ct::to_json(s), "state.json");
  EXPECT_EQ(back.options.data_dirs, s.options.data_dirs);
  EXPECT_EQ(back.options.val_list, "/v.txt");
  EXPECT_EQ(back.options.prefix_weights, "utk=0.25");
  EXPECT_EQ(back.options.dropout, 0.2);
  EXPECT_EQ(back.options.class_weight, 0.7);
  EXPECT_EQ(back.options.upsample, ct::Upsample::Resize);
  // A state written before these options: one data_dir, the Pix2Pix decoder.
  const auto old = ct::state_from_json(R"({"epoch": 3, "options": {"data_dir": "/photos", "depth": 7}})", "old");
  EXPECT_EQ(old.options.data_dirs, std::vector<std::string>{"/photos"});
  EXPECT_EQ(old.options.upsample, ct::Upsample::Transposed);
  EXPECT_EQ(old.options.class_weight, 0.0);
  EXPECT_EQ(old.options.dropout, 0.5);
}

TEST(RecipeOptions, ColourClassesAreOffByDefaultWhereTheyCannotWork) {
  auto parse = [](std::vector<std::string> args) {
    args.insert(args.begin(), "colorize-train");
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    return ct::parse_train_options(int(argv.size()), argv.data());
  };
  EXPECT_EQ(parse({"--data", "d", "--out", "o"}).class_weight, 1.0);
  EXPECT_EQ(parse({"--data", "d", "--out", "o", "--space", "rgb"}).class_weight, 0.0);
  EXPECT_EQ(parse({"--data", "d", "--out", "o", "--upsample", "transposed"}).class_weight, 0.0);
  EXPECT_THROW(parse({"--data", "d", "--out", "o", "--space", "rgb", "--class-weight", "1"}), ct::UsageError);
  EXPECT_THROW(parse({"--data", "d", "--out", "o", "--class-weight", "-1"}), ct::UsageError);
  EXPECT_EQ(parse({"--data", "d", "--data", "e", "--out", "o"}).data_dirs, (std::vector<std::string>{"d", "e"}));
}

TEST_F(RecipeTest, ValListHoldsOutExactlyTheNamedPhotos) {
  std::ofstream(out_.file("list.txt")) << "# held out\nchelsea.png\n\nrocket.jpg\n";
  auto o = options();
  o.out_dir = out_.file("run");
  o.val_list = out_.file("list.txt");
  o.epochs = o.pretrain_epochs = 1;
  o.class_weight = 0;
  const auto result = ct::run_training(o);
  EXPECT_EQ(result.state.val_photos, 2);
  EXPECT_EQ(result.state.train_photos, 4);
  std::ifstream f(out_.file("run/val-photos.txt"));
  std::string a, b, rest;
  std::getline(f, a);
  std::getline(f, b);
  EXPECT_EQ(fs::path(a).filename(), "chelsea.png");
  EXPECT_EQ(fs::path(b).filename(), "rocket.jpg");
  EXPECT_FALSE(std::getline(f, rest));

  std::ofstream(out_.file("none.txt")) << "missing.jpg\n";
  o.val_list = out_.file("none.txt");
  o.out_dir = out_.file("run2");
  EXPECT_THROW(ct::run_training(o), ct::UsageError);
  std::ofstream(out_.file("paths.txt")) << "sub/chelsea.png\n";
  o.val_list = out_.file("paths.txt");
  EXPECT_THROW(ct::run_training(o), ct::UsageError);
}

TEST_F(RecipeTest, ExportRefusesDecodingOptionsForARegressionOnlyModel) {
  auto o = options();
  o.epochs = o.pretrain_epochs = 1;
  o.class_weight = 0;
  ct::run_training(o);
  ct::ExportOptions e;
  e.checkpoint = ct::checkpoint_dir(out_.path(), 1);
  e.out = out_.file("x.pt");
  e.blend = 0.5;
  EXPECT_THROW(ct::run_export(e), ct::UsageError);
  EXPECT_FALSE(fs::exists(e.out));
}

TEST_F(RecipeTest, ExportAveragesTheGeneratorsOfTheLastCheckpoints) {
  auto o = options();
  o.epochs = o.pretrain_epochs = 3;
  ct::run_training(o);
  ct::ExportOptions e;
  e.checkpoint = ct::checkpoint_dir(out_.path(), 3);
  e.out = out_.file("averaged.pt");
  e.average = 2;
  ASSERT_EQ(ct::run_export(e), 0);
  auto averaged = torch::jit::load(e.out);
  const auto g2 = ct::load_generator(ct::checkpoint_dir(out_.path(), 2));
  const auto g3 = ct::load_generator(ct::checkpoint_dir(out_.path(), 3));
  std::map<std::string, torch::Tensor> t2, t3;
  for (const auto &p : g2.named_parameters(true)) t2.emplace(p.name, p.value);
  for (const auto &p : g3.named_parameters(true)) t3.emplace(p.name, p.value);
  int checked = 0, moved = 0;
  for (const auto &p : averaged.named_parameters(true)) {
    const auto mean = 0.5 * (t2.at(p.name) + t3.at(p.name));
    EXPECT_TRUE(torch::allclose(p.value, mean, 1e-5, 1e-6)) << p.name;
    moved += !torch::allclose(p.value, t3.at(p.name));
    ++checked;
  }
  EXPECT_EQ(checked, int(t3.size()));
  EXPECT_GT(moved, 0);  // the two epochs differ, so the average is neither
  const auto model = colorize::Model::load(e.out, {});
  EXPECT_NE(model.info().description.find("averaged over epochs 2-3"), std::string::npos)
      << model.info().description;

  // More checkpoints than the run has epochs before this one.
  e.average = 4;
  e.out = out_.file("too-many.pt");
  EXPECT_THROW(ct::run_export(e), ct::UsageError);
  EXPECT_FALSE(fs::exists(e.out));
}

TEST(RecipeOptions, ClassWeightNeedsResizeAndLab) {
  ct::TrainOptions o;
  o.data_dirs = {"d"};
  o.out_dir = "o";
  EXPECT_NO_THROW(ct::validate(o));
  o.upsample = ct::Upsample::Transposed;
  EXPECT_THROW(ct::validate(o), ct::UsageError);
  o.class_weight = 0;
  EXPECT_NO_THROW(ct::validate(o));
  o.upsample = ct::Upsample::Resize;
  o.class_weight = 1;
  o.space = ct::Space::Rgb;
  EXPECT_THROW(ct::validate(o), ct::UsageError);
}

}  // namespace
