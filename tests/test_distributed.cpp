// Data-parallel training's parts: the c10d module (distributed.h) on two
// ranks in one process, the launch variables and their errors, a stopped
// rank, and the batch shards of the data loader.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include "data.h"
#include "distributed.h"
#include "options.h"
#include "support.h"
#include "trainer_fixtures.h"

using colorize::testing::data_path;
using colorize::testing::free_port;
namespace ct = colorize::train;
using Clock = std::chrono::steady_clock;

namespace {

/// Resolved options of rank `rank` of 2 at 127.0.0.1:port.
ct::DistOptions two_ranks(int rank, int port, int timeout_s = 30) {
  ct::DistOptions o;
  o.rank = rank;
  o.world_size = 2;
  o.master_port = port;
  o.timeout_s = timeout_s;
  return ct::resolve_dist_options(o, [](const char *) -> const char * { return nullptr; });
}

/// Runs `body` as rank 0 and rank 1 in two threads; returns their error
/// messages ("" when a rank succeeded).
std::vector<std::string> on_two_ranks(const std::function<void(ct::Distributed &)> &body, int timeout_s = 30) {
  const int port = free_port();
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank)
    threads.emplace_back([&, rank] {
      try {
        ct::Distributed dist(two_ranks(rank, port, timeout_s), torch::kCPU);
        body(dist);
      } catch (const std::exception &e) {
        errors[rank] = e.what();
      }
    });
  for (auto &t : threads) t.join();
  return errors;
}

std::map<std::string, std::string> no_env() { return {}; }

ct::DistOptions resolve(const ct::DistOptions &o, const std::map<std::string, std::string> &env) {
  return ct::resolve_dist_options(o, [&](const char *name) -> const char * {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

std::string usage_error(const ct::DistOptions &o, const std::map<std::string, std::string> &env) {
  try {
    resolve(o, env);
  } catch (const ct::UsageError &e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Distributed, LaunchVariablesOptionsAndDefaults) {
  ct::DistOptions none;
  const auto d = resolve(none, no_env());
  EXPECT_EQ(d.world_size, 1);
  EXPECT_EQ(d.rank, 0);
  EXPECT_EQ(d.local_rank, 0);
  EXPECT_EQ(d.master_addr, "127.0.0.1");
  EXPECT_EQ(d.master_port, 29500);
  if (!ct::distributed_available()) GTEST_SKIP() << "this build has no c10d (libgloo-dev missing at build time)";
  const std::map<std::string, std::string> env{{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                                               {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "1234"}};
  const auto e = resolve(none, env);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.master_addr, "node0");
  EXPECT_EQ(e.master_port, 1234);
  ct::DistOptions given;
  given.rank = 1;
  given.master_port = 4321;
  const auto g = resolve(given, env);  // options win over the environment
  EXPECT_EQ(g.rank, 1);
  EXPECT_EQ(g.world_size, 4);
  EXPECT_EQ(g.master_port, 4321);
}

TEST(Distributed, BadLaunchValuesAreOneLineUsageErrors) {
  ct::DistOptions none;
  EXPECT_EQ(usage_error(none, {{"WORLD_SIZE", "0"}}), "WORLD_SIZE 0 is out of range (1..65536)");
  EXPECT_EQ(usage_error(none, {{"WORLD_SIZE", "two"}}), "WORLD_SIZE 'two' is not a whole number");
  EXPECT_EQ(usage_error(none, {{"WORLD_SIZE", "2"}, {"RANK", "2"}}),
            "rank 2 is not below the world size 2 (RANK / --rank counts from 0 to WORLD_SIZE - 1)");
  EXPECT_EQ(usage_error(none, {{"RANK", "1"}}),
            "rank 1 is not below the world size 1 (RANK / --rank counts from 0 to WORLD_SIZE - 1)");
  EXPECT_EQ(usage_error(none, {{"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}),
            "MASTER_PORT 70000 is out of range (1..65535)");
  ct::DistOptions zero;
  zero.world_size = 0;
  EXPECT_EQ(usage_error(zero, {{"WORLD_SIZE", "2"}}), "--world-size 0 is out of range (1..65536)");
}

TEST(Distributed, TwoRanksBroadcastAverageGradientsSumShareAndMeet) {
  if (!ct::distributed_available()) GTEST_SKIP() << "this build has no c10d (libgloo-dev missing at build time)";
  std::vector<std::vector<float>> results(2);
  const auto errors = on_two_ranks([&](ct::Distributed &dist) {
    const float r = float(dist.rank());
    // Rank 0's values everywhere, float and integer tensors alike.
    auto a = torch::full({3}, 10 * r + 1), b = torch::full({2, 2}, int64_t(r) + 7, torch::kLong);
    dist.broadcast({a, b}, "test");
    EXPECT_TRUE(torch::equal(a, torch::full({3}, 1.0f))) << a;
    EXPECT_TRUE(torch::equal(b, torch::full({2, 2}, int64_t(7), torch::kLong))) << b;
    // Gradients: the mean over the ranks and the 2 local parts, in buckets
    // of at most 16 bytes (several buckets); no gradient stays none.
    std::vector<torch::Tensor> params = {torch::zeros({5}, torch::requires_grad()),
                                         torch::zeros({2}, torch::requires_grad()),
                                         torch::zeros({3}, torch::requires_grad())};
    (params[0] * (r + 1) * 4).sum().backward();  // gradient 4 (rank 0) or 8
    (params[1] * torch::tensor({1.0f, r})).sum().backward();
    dist.bucket_bytes = 16;
    dist.average_gradients(params, 2);
    EXPECT_TRUE(torch::equal(params[0].grad(), torch::full({5}, 3.0f))) << params[0].grad();
    EXPECT_TRUE(torch::equal(params[1].grad(), torch::tensor({0.5f, 0.25f}))) << params[1].grad();
    EXPECT_FALSE(params[2].grad().defined());
    EXPECT_GT(dist.exchange_bytes(), 0);
    auto mean = torch::full({4}, r * 2 + 1);
    dist.average({mean}, "test");
    EXPECT_TRUE(torch::equal(mean, torch::full({4}, 2.0f))) << mean;
    EXPECT_EQ(dist.sum({1.5, r}, "test"), (std::vector<double>{3.0, 1.0}));
    EXPECT_EQ(dist.share(dist.leader() ? "from rank 0" : "ignored", "test"), "from rank 0");
    EXPECT_EQ(dist.share(dist.leader() ? "second" : "", "test"), "second");
    dist.barrier("test");
    results[dist.rank()] = std::vector<float>(a.data_ptr<float>(), a.data_ptr<float>() + 3);
    EXPECT_EQ(dist.backend(), "gloo");
  });
  EXPECT_EQ(errors, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(results[0], results[1]);
}

TEST(Distributed, RendezvousFailuresAreBoundedAndOneLine) {
  if (!ct::distributed_available()) GTEST_SKIP() << "this build has no c10d (libgloo-dev missing at build time)";
  auto fails = [](const ct::DistOptions &o, double *seconds) {
    const auto t0 = Clock::now();
    std::string message = "(no error)";
    try {
      ct::Distributed dist(o, torch::kCPU);
    } catch (const ct::DistributedError &e) {
      message = e.what();
    }
    *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  };
  double s = 0;
  // Nobody serves the rendezvous.
  std::string m = fails(two_ranks(1, free_port(), 2), &s);
  EXPECT_NE(m.find("rank 1 of 2: no rendezvous at 127.0.0.1:"), std::string::npos) << m;
  EXPECT_LT(s, 20);
  // Rank 0 alone.
  m = fails(two_ranks(0, free_port(), 2), &s);
  EXPECT_NE(m.find("rank 0 of 2: only 1 of 2 ranks came to the rendezvous"), std::string::npos) << m;
  EXPECT_LT(s, 20);
  // The port is taken.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  getsockname(fd, reinterpret_cast<sockaddr *>(&a), &size);
  m = fails(two_ranks(0, ntohs(a.sin_port), 2), &s);
  close(fd);
  EXPECT_NE(m.find("is in use on this machine"), std::string::npos) << m;
  EXPECT_LT(s, 20);
  // An unknown host.
  auto o = two_ranks(1, free_port(), 2);
  o.master_addr = "no-such-host.invalid";
  m = fails(o, &s);
  EXPECT_NE(m.find("MASTER_ADDR 'no-such-host.invalid' is not a known host"), std::string::npos) << m;
}

TEST(Distributed, AStoppedRankMakesTheOtherFailAtOnce) {
  if (!ct::distributed_available()) GTEST_SKIP() << "this build has no c10d (libgloo-dev missing at build time)";
  const auto t0 = Clock::now();
  const auto errors = on_two_ranks(
      [&](ct::Distributed &dist) {
        if (dist.rank() == 1) throw std::runtime_error("rank 1 stops");  // its connections close
        std::vector<torch::Tensor> params = {torch::ones({4}, torch::requires_grad())};
        params[0].sum().backward();
        for (int i = 0; i < 100; ++i) dist.average_gradients(params);
      },
      300);
  EXPECT_EQ(errors[1], "rank 1 stops");
  EXPECT_NE(errors[0].find("rank 0 of 2: lost the other ranks while averaging gradients"), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[0].find("--resume"), std::string::npos) << errors[0];
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 60) << "not bounded by the closed connection";
}

TEST(TrainerData, ShardsOfABatchAreThatBatchsExamples) {
  std::vector<ct::Photo> photos;
  for (const char *name : colorize::testing::kTrainPhotos)
    photos.push_back({name, cv::imread(data_path(name), cv::IMREAD_COLOR)});
  auto epoch = [&](int shard, int shards) {
    ct::BatchLoader loader(photos, 32, 6, ct::Space::Lab, 5, 2, true, shard, shards);
    std::vector<ct::Batch> out;
    loader.start_epoch(1);
    for (ct::Batch b; loader.next(b);) out.push_back(b);
    return out;
  };
  const auto whole = epoch(0, 1);
  ASSERT_EQ(whole.size(), 1u);
  for (int shards : {2, 3}) {
    std::vector<std::vector<ct::Batch>> parts;
    for (int s = 0; s < shards; ++s) parts.push_back(epoch(s, shards));
    for (size_t k = 0; k < whole.size(); ++k) {
      ct::Batch joined;
      for (int s = 0; s < shards; ++s) {
        const ct::Batch &p = parts[s][k];
        EXPECT_EQ(p.n, 6 / shards);
        joined.x.insert(joined.x.end(), p.x.begin(), p.x.end());
        joined.y.insert(joined.y.end(), p.y.begin(), p.y.end());
        joined.class_index.insert(joined.class_index.end(), p.class_index.begin(), p.class_index.end());
        joined.class_weight.insert(joined.class_weight.end(), p.class_weight.begin(), p.class_weight.end());
      }
      EXPECT_EQ(joined.x, whole[k].x) << shards << " shards";
      EXPECT_EQ(joined.y, whole[k].y) << shards << " shards";
      EXPECT_EQ(joined.class_index, whole[k].class_index);
      EXPECT_EQ(joined.class_weight, whole[k].class_weight);
    }
  }
  EXPECT_THROW(ct::BatchLoader(photos, 32, 6, ct::Space::Lab, 5, 1, false, 0, 4), std::invalid_argument);
}

