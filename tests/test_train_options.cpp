// colorize-train's training options: the command line, state.json and the
// merge on --resume, all made from one table (trainer/train_options.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "options.h"
#include "state.h"

namespace ct = colorize::train;

namespace {

ct::TrainOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "colorize-train");
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  return ct::parse_train_options(int(argv.size()), argv.data());
}

std::string parse_error(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const ct::UsageError &e) {
    return e.what();
  }
  return "(no error)";
}

/// A state whose "options" object is `options` (JSON members).
ct::TrainState state_with(const std::string &options) {
  return ct::state_from_json(R"({"epoch": 2, "options": {)" + options + "}}", "run/state.json");
}

std::string state_error(const std::string &options) {
  try {
    state_with(options);
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(TrainOptions, CommandLineValuesLandInTheirMembersAndAreRecordedAsGiven) {
  const auto o = parse({"-d", "a", "--data", "b", "-o", "out", "--prefix-weight", "utk=0.25", "--prefix-weight",
                        "cars=2", "-e", "12", "--lr", "1e-3", "--gan-loss", "lsgan", "--seed", "9000000000",
                        "--hints", "--master-addr", "node0", "--dist-timeout", "30", "-t", "3"});
  EXPECT_EQ(o.data_dirs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.out_dir, "out");
  EXPECT_EQ(o.prefix_weights, "utk=0.25,cars=2");
  EXPECT_EQ(o.epochs, 12);
  EXPECT_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.gan_loss, ct::GanLoss::Lsgan);
  EXPECT_EQ(o.seed, 9000000000);
  EXPECT_TRUE(o.hints);
  EXPECT_EQ(o.dist.master_addr, "node0");
  EXPECT_EQ(o.dist.timeout_s, 30);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.given.count("epochs"), 1u);
  EXPECT_EQ(o.given.count("threads"), 1u);
  EXPECT_EQ(o.given.count("decay-epochs"), 0u);
  // Untouched options keep the recipe's defaults.
  EXPECT_EQ(o.decay_epochs, ct::TrainOptions().decay_epochs);
  EXPECT_EQ(o.width, ct::TrainOptions().width);
}

TEST(TrainOptions, BadValuesAreRefusedNamingTheOption) {
  EXPECT_EQ(parse_error({"--data", "d", "--out", "o", "--epochs", "ten"}), "--epochs: 'ten' is not a whole number");
  EXPECT_EQ(parse_error({"--data", "d", "--out", "o", "--epochs", "99999999999"}),
            "--epochs: '99999999999' is not a whole number");
  EXPECT_EQ(parse_error({"--data", "d", "--out", "o", "--lr", "1e-3x"}), "--lr: '1e-3x' is not a number");
  EXPECT_EQ(parse_error({"--data", "d", "--out", "o", "--upsample", "bilinear"}),
            "--upsample: unknown value 'bilinear' (choose resize, transposed)");
  EXPECT_EQ(parse_error({"--data", "d", "--out", "o", "--precision", "fp16"}),
            "--precision: unknown value 'fp16' (choose float32, bfloat16)");
  EXPECT_NE(parse_error({"--data", "d", "--out", "o", "--no-such-option"}).find("--no-such-option"),
            std::string::npos);
}

TEST(TrainOptions, EverySavedOptionSurvivesStateJson) {
  ct::TrainState s;
  ct::TrainOptions &o = s.options;
  o = parse({"--data", "/a", "--data", "/b c", "--out", "run", "--val-list", "/v.txt", "--prefix-weight", "utk=0.25",
             "--size", "64", "--batch", "4", "--epochs", "9", "--pretrain-epochs", "5", "--decay-epochs", "3", "--lr",
             "3e-4", "--lambda", "50", "--gan-loss", "lsgan", "--space", "rgb", "--arch", "autoencoder", "--upsample",
             "transposed", "--dropout", "0.25", "--depth", "6", "--width", "8", "--disc-width", "16",
             "--disc-layers", "2", "--threads", "2", "--seed", "77", "--max-images", "10", "--samples-every", "2",
             "--num-samples", "3", "--half", "--name", "n", "--license", "l", "--val-fraction", "0.1", "--precision",
             "bfloat16"});
  const ct::TrainOptions back = ct::state_from_json(ct::to_json(s), "state.json").options;
  EXPECT_EQ(back.data_dirs, o.data_dirs);
  EXPECT_EQ(back.val_list, o.val_list);
  EXPECT_EQ(back.prefix_weights, o.prefix_weights);
  EXPECT_EQ(back.size, 64);
  EXPECT_EQ(back.batch, 4);
  EXPECT_EQ(back.epochs, 9);
  EXPECT_EQ(back.pretrain_epochs, 5);
  EXPECT_EQ(back.decay_epochs, 3);
  EXPECT_EQ(back.lr, 3e-4);
  EXPECT_EQ(back.lambda_l1, 50);
  EXPECT_EQ(back.gan_loss, ct::GanLoss::Lsgan);
  EXPECT_EQ(back.space, ct::Space::Rgb);
  EXPECT_EQ(back.arch, ct::Arch::Autoencoder);
  EXPECT_EQ(back.upsample, ct::Upsample::Transposed);
  EXPECT_EQ(back.class_weight, 0.0);
  EXPECT_EQ(back.dropout, 0.25);
  EXPECT_EQ(back.depth, 6);
  EXPECT_EQ(back.width, 8);
  EXPECT_EQ(back.disc_width, 16);
  EXPECT_EQ(back.disc_layers, 2);
  EXPECT_EQ(back.threads, 2);
  EXPECT_EQ(back.seed, 77);
  EXPECT_EQ(back.max_images, 10);
  EXPECT_EQ(back.samples_every, 2);
  EXPECT_EQ(back.num_samples, 3);
  EXPECT_TRUE(back.half);
  EXPECT_EQ(back.name, "n");
  EXPECT_EQ(back.license, "l");
  EXPECT_EQ(back.val_fraction, 0.1);
  EXPECT_EQ(back.precision, ct::Precision::Bfloat16);
  // Run-time settings are not part of the run.
  EXPECT_EQ(back.out_dir, "");
  EXPECT_TRUE(back.given.empty());
}

TEST(TrainOptions, AStateWithAnUnknownOrMistypedValueIsRefusedNamingTheKey) {
  EXPECT_EQ(state_error(R"("gan_loss": "hinge")"),
            "run/state.json: options.gan_loss: unknown value 'hinge' (choose bce, lsgan)");
  EXPECT_EQ(state_error(R"("upsample": 3)"), "run/state.json: options.upsample is not a string");
  EXPECT_EQ(state_error(R"("epochs": "12")"), "run/state.json: options.epochs is not a number");
  EXPECT_EQ(state_error(R"("hints": 1)"), "run/state.json: options.hints is not true or false");
  EXPECT_EQ(state_error(R"("data_dirs": ["a", 2])"), "run/state.json: options.data_dirs is not an array of strings");
  EXPECT_EQ(state_with(R"("space": "rgb", "epochs": 12)").options.space, ct::Space::Rgb);
}

TEST(TrainOptions, AResumedRunKeepsItsRecipeTakesTheGivenScheduleAndTheRunTimeSettings) {
  ct::TrainOptions saved = parse({"--data", "/photos", "--out", "old", "--width", "8", "--epochs", "10", "--lr",
                                  "2e-4", "--threads", "2", "--workers", "3", "--name", "old name"});
  const ct::TrainOptions cli = parse({"--out", "new", "--resume", "--epochs", "20", "--width", "64", "--workers",
                                      "1", "--name", "new name", "--quiet"});
  const ct::TrainOptions r = ct::resumed_options(cli, saved);
  EXPECT_EQ(r.data_dirs, std::vector<std::string>{"/photos"});
  EXPECT_EQ(r.width, 8);            // the run's network
  EXPECT_EQ(r.name, "old name");    // the run's record
  EXPECT_EQ(r.epochs, 20);          // given: a longer schedule
  EXPECT_EQ(r.lr, 2e-4);            // not given: the run's
  EXPECT_EQ(r.threads, 2);          // not given: the run's, so it continues bit for bit
  EXPECT_EQ(r.out_dir, "new");      // run-time settings: this command's
  EXPECT_EQ(r.workers, 1);
  EXPECT_TRUE(r.quiet);
  EXPECT_TRUE(r.resume);
  EXPECT_EQ(ct::resumed_options(parse({"--out", "new", "--resume", "--threads", "1"}), saved).threads, 1);
  // The precision is the run's unless given.
  saved.precision = ct::Precision::Bfloat16;
  EXPECT_EQ(r.precision, ct::Precision::Float32);
  EXPECT_EQ(ct::resumed_options(parse({"--out", "new", "--resume"}), saved).precision, ct::Precision::Bfloat16);
  EXPECT_EQ(ct::resumed_options(parse({"--out", "new", "--resume", "--precision", "float32"}), saved).precision,
            ct::Precision::Float32);
}
