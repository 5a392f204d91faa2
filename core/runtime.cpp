// Loading libcolorize-torch (runtime.h), and the program's choices that
// it applies: the thread count and huge pages.
#include "runtime.h"

#include <dlfcn.h>
#include <gmodule.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

#include "colorize/error.h"
#include "colorize/memory.h"

namespace colorize {
namespace detail {
namespace {

/// The runtime once registered, and the choices it is to apply.
struct Registry {
  std::mutex mutex;
  const Runtime *runtime = nullptr;
  int threads = 0;  ///< 0 = not chosen (LibTorch's own default)
  bool huge_pages = false;
};

Registry &registry() {
  static Registry r;
  return r;
}

const Runtime *registered() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.runtime;
}

/// libcolorize-torch's path: beside this library.
std::string library_path() {
  Dl_info self{};
  if (dladdr(reinterpret_cast<void *>(&library_path), &self) == 0 || self.dli_fname == nullptr)
    throw Error("cannot load LibTorch: the folder of libcolorize-core is unknown");
  g_autofree char *dir = g_path_get_dirname(self.dli_fname);
  g_autofree char *path = g_module_build_path(dir, "colorize-torch");
  return path;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

/// dlopen() flags for libcolorize-torch. LibTorch's libraries bind their
/// own symbols first (RTLD_DEEPBIND): each of their symbol references
/// (libtorch_cpu alone binds some 73,000 at load) is then looked up in
/// LibTorch's own libraries before the 100 to 200 the program had loaded
/// already, which makes the load about 0.1 s faster. Not when something is preloaded (LD_PRELOAD: an
/// allocator such as jemalloc would be bypassed by LibTorch's references
/// to malloc), nor under the sanitizers, which refuse the flag.
int open_flags() {
  const char *preload = g_getenv("LD_PRELOAD");
  const bool preloaded = preload != nullptr && *preload != '\0';
  return RTLD_LAZY | RTLD_GLOBAL | (kSanitized || preloaded ? 0 : RTLD_DEEPBIND);
}

/// Opens libcolorize-torch, which registers itself as it loads. Never
/// closed: LibTorch cannot be unloaded.
void open_library() {
  const std::string path = library_path();
  if (dlopen(path.c_str(), open_flags()) == nullptr)
    throw Error(std::string("cannot load LibTorch: ") + dlerror());
  if (registered() == nullptr)
    throw Error("cannot load LibTorch: " + path + " did not register a runtime");
}

/// The load: started once, in the background or by the first caller who
/// needs it; its outcome (or error) is kept for every later caller.
struct Loader {
  std::once_flag started;
  std::shared_future<void> done;
  std::thread worker;
  ~Loader() {
    if (worker.joinable()) worker.join();  // a preload still under way at exit
  }
};

Loader &loader() {
  static Loader l;
  return l;
}

void start(bool background) {
  Loader &l = loader();
  std::call_once(l.started, [&l, background] {
    std::packaged_task<void()> task(open_library);
    l.done = task.get_future().share();
    if (background)
      l.worker = std::thread(std::move(task));
    else
      task();
  });
}

}  // namespace

void register_runtime(const Runtime &runtime) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.runtime = &runtime;
  if (r.threads > 0) runtime.set_threads(r.threads);
  if (r.huge_pages) runtime.use_huge_pages();
}

const Runtime &runtime() {
  if (const Runtime *r = registered()) return *r;
  start(false);
  loader().done.get();  // rethrows the load's error
  return *registered();
}

void use_huge_pages_in_runtime() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.huge_pages) return;
  r.huge_pages = true;
  if (r.runtime) r.runtime->use_huge_pages();
}

}  // namespace detail

void preload_model_runtime() {
  if (detail::registered() == nullptr) detail::start(true);
}

void load_model_runtime() { detail::runtime(); }

void set_cpu_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    throw Error("thread count " + std::to_string(threads) + " is out of range (0 = all cores, at most " +
                std::to_string(kMaxThreads) + ")");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int n = threads > 0 ? threads : cores;
  cv::setNumThreads(n);
  detail::Registry &r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.threads = n;
  if (r.runtime) r.runtime->set_threads(n);
}

}  // namespace colorize
