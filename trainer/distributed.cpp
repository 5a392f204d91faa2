// Data-parallel training on c10d: see distributed.h.
#include "distributed.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <utility>

#if COLORIZE_HAVE_C10D
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if COLORIZE_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace colorize::train {
namespace {

/// `text` as an integer in lo..hi; `name` says where it came from.
int parse_int(const std::string &name, const std::string &text, int lo, int hi) {
  char *end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0)
    throw UsageError(name + " '" + text + "' is not a whole number");
  if (v < lo || v > hi)
    throw UsageError(name + " " + text + " is out of range (" + std::to_string(lo) + ".." +
                     (hi == INT_MAX ? std::string("") : std::to_string(hi)) + ")");
  return int(v);
}

}  // namespace

DistOptions resolve_dist_options(DistOptions o, const std::function<const char *(const char *)> &env) {
  // An option wins over the environment variable of the same meaning.
  auto number = [&](int &field, const char *option, const char *var, int fallback, int lo, int hi) {
    const char *value = env(var);
    if (field != -1)
      field = parse_int(option, std::to_string(field), lo, hi);
    else if (value && *value)
      field = parse_int(var, value, lo, hi);
    else
      field = fallback;
  };
  number(o.world_size, "--world-size", "WORLD_SIZE", 1, 1, 65536);
  number(o.rank, "--rank", "RANK", 0, 0, INT_MAX);
  number(o.local_rank, "--local-rank", "LOCAL_RANK", 0, 0, 1024);
  number(o.master_port, "--master-port", "MASTER_PORT", 29500, 1, 65535);
  if (o.master_addr.empty()) {
    const char *value = env("MASTER_ADDR");
    o.master_addr = value && *value ? value : "127.0.0.1";
  }
  if (o.rank >= o.world_size)
    throw UsageError("rank " + std::to_string(o.rank) + " is not below the world size " +
                     std::to_string(o.world_size) + " (RANK / --rank counts from 0 to WORLD_SIZE - 1)");
  if (o.world_size > 1 && !distributed_available())
    throw UsageError("a run on " + std::to_string(o.world_size) +
                     " processes needs LibTorch's c10d, and this colorize-train was built without it "
                     "(rebuild with libgloo-dev installed)");
  return o;
}

#if !COLORIZE_HAVE_C10D

bool distributed_available() { return false; }
struct Distributed::Impl {};
Distributed::Distributed() = default;
Distributed::Distributed(Distributed &&) noexcept = default;
Distributed &Distributed::operator=(Distributed &&) noexcept = default;
Distributed::Distributed(const DistOptions &, const torch::Device &) {
  throw DistributedError("this colorize-train was built without c10d");
}
Distributed::~Distributed() = default;
std::string Distributed::backend() const { return "none"; }
void Distributed::broadcast(const std::vector<torch::Tensor> &, const std::string &) {}
void Distributed::average_gradients(const std::vector<torch::Tensor> &params, int local_parts) {
  if (local_parts <= 1) return;
  for (const auto &p : params)
    if (p.grad().defined()) p.grad().div_(local_parts);
}
void Distributed::average(const std::vector<torch::Tensor> &, const std::string &) {}
std::vector<double> Distributed::sum(const std::vector<double> &values, const std::string &) { return values; }
std::string Distributed::share(const std::string &text, const std::string &) { return text; }
void Distributed::barrier(const std::string &) {}

#else

bool distributed_available() { return true; }

namespace {

#if TORCH_VERSION_MAJOR >= 2
using Group = c10d::Backend;
#else
using Group = c10d::ProcessGroup;
#endif
using WorkPtr = c10::intrusive_ptr<c10d::Work>;

/// An exception's message without LibTorch's backtrace, on one line.
std::string one_line(const std::exception &e) {
  const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  const size_t end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
  return text;
}

/// LibTorch's own log lines (glog in 1.x, c10's logger in 2.x) repeat what
/// the errors here say, over several lines with source positions: from now
/// on only fatal ones pass.
void quiet_library_logs() {
  for (const char *flag : {"_ZN3fLI17FLAGS_minloglevelE", "FLAGS_minloglevel", "FLAGS_caffe2_log_level"})
    if (void *p = dlsym(RTLD_DEFAULT, flag)) *static_cast<int32_t *>(p) = 3;
}

/// The address of this machine on the route to `host` (a UDP connect sends
/// nothing); empty when there is none.
std::string local_address_towards(const std::string &host) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host.c_str(), "9", &hints, &found) != 0) return "";
  std::string address;
  for (addrinfo *a = found; a && address.empty(); a = a->ai_next) {
    const int fd = socket(a->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t size = sizeof local;
    char text[INET6_ADDRSTRLEN] = {};
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr *>(&local), &size) == 0) {
      const void *raw = local.ss_family == AF_INET6
                            ? static_cast<const void *>(&reinterpret_cast<sockaddr_in6 *>(&local)->sin6_addr)
                            : static_cast<const void *>(&reinterpret_cast<sockaddr_in *>(&local)->sin_addr);
      if (inet_ntop(local.ss_family, raw, text, sizeof text)) address = text;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return address;
}

/// Gloo's network device: GLOO_SOCKET_IFNAME's interface when set (as in
/// PyTorch), else the address on the route to the master.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string &master_addr) {
  if (const char *name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name)
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  const std::string local = local_address_towards(master_addr);
  return local.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                       : c10d::ProcessGroupGloo::createDeviceForHostname(local);
}

/// Tensors of one type exchanged as one flat tensor.
struct Bucket {
  std::vector<torch::Tensor> members;
  torch::Tensor flat;
  WorkPtr work;
};

}  // namespace

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Group> group;
  std::string backend = "gloo";
  bool cpu_only = true;  ///< the group takes CPU tensors (Gloo)
  int timeout_s = 0;
  int shared = 0;  ///< share() calls so far (each has its own key)
  std::string who;  ///< "rank 1 of 2"

  /// A one-line DistributedError for a failed collective.
  DistributedError lost(const std::string &what, const std::exception &e) const {
    return DistributedError(who + ": lost the other ranks while " + what + " (" + one_line(e) +
                            "): a rank stopped, or the network failed or stayed silent for " +
                            std::to_string(timeout_s) + " s; start every rank again with --resume to " +
                            "continue from the last checkpoint");
  }
  void wait(const WorkPtr &work, const std::string &what) const {
    try {
      work->wait();
    } catch (const std::exception &e) {
      throw lost(what, e);
    }
  }
  /// Runs `collective` on `tensors` in flat buckets of at most `max_bytes`
  /// (started one after another, then awaited), applies `finish` to each
  /// result and copies it back into the tensors.
  void bucketed(const std::vector<torch::Tensor> &tensors, int64_t max_bytes, const std::string &what,
                const std::function<WorkPtr(std::vector<torch::Tensor> &)> &collective,
                const std::function<void(torch::Tensor &)> &finish) const {
    std::vector<Bucket> buckets;
    int64_t bytes = 0;
    for (const auto &t : tensors) {
      const int64_t n = int64_t(t.numel() * t.element_size());
      if (buckets.empty() || buckets.back().members.front().scalar_type() != t.scalar_type() ||
          bytes + n > max_bytes) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().members.push_back(t);
      bytes += n;
    }
    try {
      for (auto &b : buckets) {
        std::vector<torch::Tensor> flat_views;
        for (const auto &t : b.members) flat_views.push_back(t.detach().reshape({-1}));
        b.flat = torch::cat(flat_views);
        if (cpu_only) b.flat = b.flat.to(torch::kCPU);
        std::vector<torch::Tensor> io{b.flat};
        b.work = collective(io);
      }
    } catch (const std::exception &e) {
      throw lost(what, e);
    }
    for (auto &b : buckets) {
      wait(b.work, what);
      if (finish) finish(b.flat);
      int64_t offset = 0;
      for (auto &t : b.members) {
        t.detach().copy_(b.flat.narrow(0, offset, t.numel()).view_as(t));
        offset += t.numel();
      }
    }
  }
};

Distributed::Distributed() = default;
Distributed::Distributed(Distributed &&) noexcept = default;
Distributed &Distributed::operator=(Distributed &&) noexcept = default;

Distributed::Distributed(const DistOptions &o, const torch::Device &device)
    : impl_(std::make_unique<Impl>()), rank_(o.rank), world_(o.world_size) {
  quiet_library_logs();
  std::signal(SIGPIPE, SIG_IGN);  // a closed connection is an error to report, not a silent exit
  Impl &m = *impl_;
  m.timeout_s = o.timeout_s;
  m.who = "rank " + std::to_string(rank_) + " of " + std::to_string(world_);
  const std::string at = o.master_addr + ":" + std::to_string(o.master_port);
  const std::chrono::milliseconds timeout = std::chrono::seconds(o.timeout_s);
  addrinfo *found = nullptr;
  if (getaddrinfo(o.master_addr.c_str(), nullptr, nullptr, &found) != 0)
    throw DistributedError(m.who + ": MASTER_ADDR '" + o.master_addr + "' is not a known host name or address");
  freeaddrinfo(found);

  c10d::TCPStoreOptions so;
  so.port = uint16_t(o.master_port);
  so.isServer = rank_ == 0;
  so.numWorkers = size_t(world_);
  so.waitWorkers = false;  // join() below counts the ranks, to say how many came
  so.timeout = timeout;
#if TORCH_VERSION_MAJOR >= 2
  so.useLibUV = false;  // Debian's LibTorch is built without libuv
#endif
  try {
    m.store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
  } catch (const std::exception &e) {
    const std::string why = one_line(e);
    if (why.find("Address already in use") != std::string::npos)
      throw DistributedError(m.who + ": MASTER_PORT " + std::to_string(o.master_port) +
                             " is in use on this machine (another run?); choose a free port");
    throw DistributedError(m.who + ": no rendezvous at " + at + " within " + std::to_string(o.timeout_s) + " s (" +
                           why + "); " +
                           (rank_ == 0 ? "is MASTER_ADDR an address of this machine?"
                                       : "is rank 0 running there, and the port open?"));
  }
  join(o);
  try {
    auto store = c10::make_intrusive<c10d::PrefixStore>("colorize/group", m.store);
#if COLORIZE_HAVE_NCCL
    if (device.is_cuda()) {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      m.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank_, world_, options);
      m.backend = "nccl";
      m.cpu_only = false;
      return;
    }
#endif
    (void)device;  // without NCCL, CUDA tensors travel through the CPU
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(gloo_device(o.master_addr));
    m.group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank_, world_, options);
  } catch (const std::exception &e) {
    throw DistributedError(m.who + ": the ranks met at " + at + " but could not connect to each other (" +
                           one_line(e) + "); on several machines, set GLOO_SOCKET_IFNAME to the network interface");
  }
}

Distributed::~Distributed() = default;

void Distributed::join(const DistOptions &o) {
  Impl &m = *impl_;
  try {
    if (m.store->add("colorize/joined", 1) == world_) m.store->set("colorize/all-joined", std::vector<uint8_t>{1});
    m.store->wait({"colorize/all-joined"}, std::chrono::seconds(o.timeout_s));
  } catch (const std::exception &e) {
    int64_t joined = -1;
    try {
      joined = m.store->add("colorize/joined", 0);
    } catch (const std::exception &) {
    }
    if (joined < 0) throw m.lost("waiting for the other ranks to join", e);
    throw DistributedError(m.who + ": only " + std::to_string(joined) + " of " + std::to_string(world_) +
                           " ranks came to the rendezvous at " + o.master_addr + ":" +
                           std::to_string(o.master_port) + " within " + std::to_string(o.timeout_s) +
                           " s; start every rank (RANK 0.." + std::to_string(world_ - 1) +
                           ") with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT");
  }
}

std::string Distributed::backend() const { return impl_ ? impl_->backend : "none"; }

void Distributed::broadcast(const std::vector<torch::Tensor> &tensors, const std::string &what) {
  if (!active()) return;
  impl_->bucketed(tensors, bucket_bytes, what,
                  [&](std::vector<torch::Tensor> &io) { return impl_->group->broadcast(io); }, {});
}

void Distributed::average_gradients(const std::vector<torch::Tensor> &params, int local_parts) {
  if (!active() && local_parts <= 1) return;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> grads;
  for (const auto &p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (!active()) {
    for (auto &g : grads) g.div_(local_parts);
    return;
  }
  const double divisor = double(world_) * local_parts;
  impl_->bucketed(grads, bucket_bytes, "averaging gradients",
                  [&](std::vector<torch::Tensor> &io) { return impl_->group->allreduce(io); },
                  [&](torch::Tensor &sum) { sum.div_(divisor); });
  for (const auto &g : grads) exchange_bytes_ += int64_t(g.numel() * g.element_size());
  exchange_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Distributed::average(const std::vector<torch::Tensor> &tensors, const std::string &what) {
  if (!active()) return;
  impl_->bucketed(tensors, bucket_bytes, what,
                  [&](std::vector<torch::Tensor> &io) { return impl_->group->allreduce(io); },
                  [&](torch::Tensor &sum) { sum.div_(double(world_)); });
}

std::vector<double> Distributed::sum(const std::vector<double> &values, const std::string &what) {
  if (!active() || values.empty()) return values;
  torch::Tensor t = torch::tensor(values, torch::kDouble);
  impl_->bucketed({t}, bucket_bytes, what,
                  [&](std::vector<torch::Tensor> &io) { return impl_->group->allreduce(io); }, {});
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

std::string Distributed::share(const std::string &text, const std::string &what) {
  if (!active()) return text;
  const std::string key = "colorize/share/" + std::to_string(impl_->shared++);
  try {
    if (leader()) {
      impl_->store->set(key, std::vector<uint8_t>(text.begin(), text.end()));
      return text;
    }
    const std::vector<uint8_t> value = impl_->store->get(key);
    return std::string(value.begin(), value.end());
  } catch (const std::exception &e) {
    throw impl_->lost(what, e);
  }
}

void Distributed::barrier(const std::string &what) {
  if (!active()) return;
  WorkPtr work;
  try {
    work = impl_->group->barrier();
  } catch (const std::exception &e) {
    throw impl_->lost(what, e);
  }
  impl_->wait(work, what);
}

#endif  // COLORIZE_HAVE_C10D

}  // namespace colorize::train
