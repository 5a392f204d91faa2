// The gradient exchange of data-parallel training for the default model
// (U-Net depth 7 / width 32 with the colour-class head, PatchGAN 64 / 3):
// bench-allreduce [WORLD_SIZE [REPEATS [BATCH_PER_RANK]]] starts WORLD_SIZE
// copies of itself on 127.0.0.1 (RANK 0..), which time
//  - Distributed::average_gradients() of the generator's gradients (the
//    pre-training phase) and of generator + discriminator (the GAN phase),
//    median over REPEATS, after a barrier so that no rank waits for another;
//  - one training step's forward and backward of this rank's share of the
//    batch at 128 x 128 (generator only, and generator + discriminator), on
//    one LibTorch thread (after two untimed runs),
// and rank 0 prints them.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "class_head.h"
#include "distributed.h"
#include "model_io.h"
#include "nets.h"

extern char **environ;
namespace ct = colorize::train;
using Clock = std::chrono::steady_clock;

namespace {

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr *>(&a), &size);
  close(fd);
  return ntohs(a.sin_port);
}

/// Starts `world` copies of this program as the ranks; returns 0 when all succeed.
int launch(char **argv, int world) {
  const std::string port = std::to_string(free_port());
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world; ++rank) {
    std::vector<std::string> env_s = {"RANK=" + std::to_string(rank), "WORLD_SIZE=" + std::to_string(world),
                                      "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port};
    for (char **e = environ; *e; ++e) env_s.push_back(*e);
    std::vector<char *> envp;
    for (auto &e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, envp.data()) != 0) return 1;
    pids.push_back(pid);
  }
  int failed = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  return failed ? 1 : 0;
}

double median_ms(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2] * 1e3;
}

template <typename F>
std::vector<double> timed(int repeats, F &&f) {
  std::vector<double> s;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    f();
    s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return s;
}

}  // namespace

int main(int argc, char **argv) {
  const int world = argc > 1 ? std::atoi(argv[1]) : 2;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 8;
  if (!std::getenv("RANK")) return launch(argv, world);
  try {
    torch::set_num_threads(1);
    const ct::TrainOptions o;  // the default recipe
    const ct::DistOptions where = ct::resolve_dist_options({}, [](const char *n) { return std::getenv(n); });
    ct::Distributed dist(where, torch::kCPU);
    torch::manual_seed(1);
    torch::jit::Module g = colorize::nets::build_unet(ct::unet_config(o), ct::bin_ab_tensor());
    torch::jit::Module d = colorize::nets::build_patchgan(ct::patchgan_config(o));
    std::vector<torch::Tensor> gp, all;
    for (const auto &p : g.parameters()) gp.push_back(p);
    all = gp;
    for (const auto &p : d.parameters()) all.push_back(p);
    int64_t g_numel = 0, all_numel = 0;
    for (const auto &p : gp) g_numel += p.numel();
    for (const auto &p : all) all_numel += p.numel();
    // Gradients: one step's forward and backward of this rank's share.
    const auto x = torch::rand({batch, 1, o.size, o.size}) * 2 - 1, y = torch::rand({batch, 2, o.size, o.size});
    auto l1 = [&] {
      auto heads = g.run_method("heads", x).toTuple();
      auto fake = heads->elements()[0].toTensor();
      (torch::l1_loss(fake, y) + heads->elements()[1].toTensor().mean()).backward();
    };
    auto gan = [&] {
      auto heads = g.run_method("heads", x).toTuple();
      auto fake = heads->elements()[0].toTensor();
      auto judged = d.forward({torch::cat({x, fake}, 1)}).toTensor();
      auto real = d.forward({torch::cat({x, y}, 1)}).toTensor();
      (judged.mean() - real.mean() + torch::l1_loss(fake, y)).backward();
    };
    timed(2, l1);  // TorchScript profiles and optimises the first runs
    const auto l1_step = timed(3, l1);
    timed(2, gan);
    const auto gan_step = timed(3, gan);
    dist.barrier("start");
    const auto g_exchange = timed(repeats, [&] {
      dist.barrier("step");
      dist.average_gradients(gp);
    });
    const auto all_exchange = timed(repeats, [&] {
      dist.barrier("step");
      dist.average_gradients(all);
    });
    const auto barrier = timed(repeats, [&] { dist.barrier("step"); });
    if (dist.leader()) {
      std::printf("%d processes (%s) on 127.0.0.1, default model, %d examples of 128x128 per process, 1 thread each\n",
                  world, dist.backend().c_str(), batch);
      std::printf("  generator: %.2f M parameters, %.1f MB of gradients per step\n", g_numel / 1e6, g_numel * 4 / 1e6);
      std::printf("  + discriminator: %.2f M parameters, %.1f MB per step\n", all_numel / 1e6, all_numel * 4 / 1e6);
      std::printf("  exchange (median of %d, a barrier's %.2f ms taken off): generator %.1f ms, both %.1f ms\n",
                  repeats, median_ms(barrier), median_ms(g_exchange) - median_ms(barrier),
                  median_ms(all_exchange) - median_ms(barrier));
      std::printf("  one rank's forward + backward (median of 3, after 2): pre-training %.0f ms, GAN phase %.0f ms\n",
                  median_ms(l1_step), median_ms(gan_step));
    }
    dist.barrier("end");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench-allreduce: %s\n", e.what());
    return 1;
  }
  return 0;
}
