// colorize-train's training options in one table: see train_options.h.
#include "train_options.h"

#include <climits>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <variant>

namespace colorize::train {
namespace {

template <typename E>
struct Choice {
  const char *name;
  E value;
};
constexpr Choice<GanLoss> kGanLosses[] = {{"bce", GanLoss::Bce}, {"lsgan", GanLoss::Lsgan}};
constexpr Choice<Space> kSpaces[] = {{"lab", Space::Lab}, {"rgb", Space::Rgb}};
constexpr Choice<Arch> kArchs[] = {{"unet", Arch::UNet}, {"autoencoder", Arch::Autoencoder}};
constexpr Choice<Upsample> kUpsamples[] = {{"resize", Upsample::Resize}, {"transposed", Upsample::Transposed}};
constexpr Choice<Precision> kPrecisions[] = {{"float32", Precision::Float32}, {"bfloat16", Precision::Bfloat16}};
const auto &choices(GanLoss) { return kGanLosses; }
const auto &choices(Space) { return kSpaces; }
const auto &choices(Arch) { return kArchs; }
const auto &choices(Upsample) { return kUpsamples; }
const auto &choices(Precision) { return kPrecisions; }

template <typename E>
const char *name_of(E v) {
  for (const auto &c : choices(v))
    if (c.value == v) return c.name;
  return "?";
}

/// `what`: "--gan-loss" or "state.json: gan_loss", for the message.
template <typename E>
E parse_choice(const std::string &what, const std::string &value) {
  std::string names;
  for (const auto &c : choices(E{})) {
    if (value == c.name) return c.value;
    names += names.empty() ? "" : ", ";
    names += c.name;
  }
  throw UsageError(what + ": unknown value '" + value + "' (choose " + names + ")");
}

/// Where a row's value lives in TrainOptions (a function, so that members
/// of nested structs such as DistOptions can be rows too).
template <typename T>
using Ref = T &(*)(TrainOptions &);
using AnyRef = std::variant<Ref<int>, Ref<int64_t>, Ref<double>, Ref<bool>, Ref<std::string>,
                            Ref<std::vector<std::string>>, Ref<GanLoss>, Ref<Space>, Ref<Arch>, Ref<Upsample>,
                            Ref<Precision>>;
#define MEMBER(m) (+[](TrainOptions & o) -> auto & { return o.m; })

/// What a resumed run does with a row.
enum class OnResume {
  Kept,      ///< saved in state.json; the run keeps its value
  Schedule,  ///< saved; the command line's value replaces it when given
  RunTime,   ///< not saved; always the command line's (or the default)
};

enum Flags { kNone = 0, kPath = 1, kJoined = 2 /* repeated values joined with ',' */ };

struct Row {
  const char *name;  ///< --name
  char short_name;
  const char *key;  ///< member of state.json's "options"; nullptr with RunTime
  OnResume on_resume;
  AnyRef ref;
  int flags;
  const char *arg;  ///< placeholder in --help; nullptr for a switch
  const char *help;
  const char *before = nullptr;  ///< the value of runs saved before the row existed
};

constexpr OnResume K = OnResume::Kept, S = OnResume::Schedule, R = OnResume::RunTime;

// clang-format off
const Row kRows[] = {
  {"data", 'd', "data_dirs", K, MEMBER(data_dirs), kPath, "DIR",
   "Folder of colour photos (searched recursively; may be repeated)"},
  {"out", 'o', nullptr, R, MEMBER(out_dir), kPath, "DIR", "Output folder: checkpoints, model.pt, losses, samples"},
  {"val-dir", 0, "val_dir", K, MEMBER(val_dir), kPath, "DIR",
   "Validation photos (default: --val-list, else split off --data)"},
  {"val-list", 0, "val_list", K, MEMBER(val_list), kPath, "FILE",
   "File naming the photos of --data held out for validation, one file name per line"},
  {"val-fraction", 0, "val_fraction", K, MEMBER(val_fraction), kNone, "F",
   "Share of --data kept for validation without --val-dir/--val-list (default 0.05)"},
  {"prefix-weight", 0, "prefix_weights", K, MEMBER(prefix_weights), kJoined, "PREFIX=W",
   "Sampling weight of the photos whose name starts with PREFIX_ (default 1; 0.25 = one epoch in four; may be "
   "repeated)"},
  {"size", 's', "size", K, MEMBER(size), kNone, "N", "Training crop side in pixels (default 128)"},
  {"batch", 'b', "batch", K, MEMBER(batch), kNone, "N",
   "Batch size (default 16; on several processes, the whole batch, which they share)"},
  {"epochs", 'e', "epochs", S, MEMBER(epochs), kNone, "N", "Total epochs, pre-training included (default 48)"},
  {"pretrain-epochs", 0, "pretrain_epochs", S, MEMBER(pretrain_epochs), kNone, "N",
   "First epochs train the generator without the discriminator (default 48 = all: no GAN phase; fewer adds a PatchGAN "
   "phase after them)"},
  {"decay-epochs", 0, "decay_epochs", S, MEMBER(decay_epochs), kNone, "N",
   "Last epochs decay the learning rate linearly to 0 (default 14; more than --epochs = from the start)"},
  {"lr", 0, "lr", S, MEMBER(lr), kNone, "X",
   "Adam learning rate (default 2e-4; on --resume, a new peak for the epochs still to run: a warm restart)"},
  {"lambda", 0, "lambda", S, MEMBER(lambda_l1), kNone, "X",
   "Weight of the content loss (L1, plus the class loss) against the adversarial loss in the GAN phase (default 100; "
   "may be changed on --resume)"},
  {"gan-loss", 0, "gan_loss", K, MEMBER(gan_loss), kNone, "NAME", "Adversarial loss: bce (default) or lsgan"},
  {"space", 0, "space", K, MEMBER(space), kNone, "NAME", "Predict lab (a,b; default) or rgb"},
  {"arch", 0, "arch", K, MEMBER(arch), kNone, "NAME", "unet (default) or autoencoder (no skips, L1 only)"},
  // Runs saved before the next three options existed used the Pix2Pix
  // decoder, no classification head and dropout 0.5.
  {"upsample", 0, "upsample", K, MEMBER(upsample), kNone, "NAME",
   "Decoder upsampling: resize (nearest x2 + 3x3 conv, half-resolution head; default) or transposed (Pix2Pix)",
   "transposed"},
  {"class-weight", 0, "class_weight", K, MEMBER(class_weight), kNone, "X",
   "Weight of the colour-class loss of the classification head (default 1 with --upsample resize and --space lab, "
   "else 0 = regression only)", "0"},
  {"hints", 0, "hints", K, MEMBER(hints), kNone, nullptr,
   "Train a hint-capable generator: L plus simulated colour hints (a,b patches and a mask; none in one example of "
   "eight) in, a,b out; exported as a format 2 model that follows users' colour dots"},
  {"init", 0, "init", K, MEMBER(init), kPath, "PATH",
   "Start the generator from the weights of a checkpoint folder or model file of the same architecture "
   "(fine-tuning); with --hints, the hint inputs start at zero weight, so the start behaves exactly like that "
   "generator"},
  {"dropout", 0, "dropout", K, MEMBER(dropout), kNone, "P",
   "Dropout of the 3 innermost decoder blocks (default 0; Pix2Pix uses 0.5)", "0.5"},
  {"depth", 0, "depth", K, MEMBER(depth), kNone, "N",
   "Generator levels; --size must be a multiple of 2^depth (default 7)"},
  {"width", 0, "width", K, MEMBER(width), kNone, "N", "Generator filters of the first level (default 32)"},
  {"disc-width", 0, "disc_width", K, MEMBER(disc_width), kNone, "N",
   "Discriminator filters of the first layer (default 64)"},
  {"disc-layers", 0, "disc_layers", K, MEMBER(disc_layers), kNone, "N",
   "Discriminator strided layers (default 3 = 70x70 patches)"},
  {"device", 0, nullptr, R, MEMBER(device), kNone, "NAME", "auto (default), cpu or cuda"},
  {"threads", 't', "threads", S, MEMBER(threads), kNone, "N",
   "LibTorch threads (default: all cores; on a machine busy with other work, 1 can be several times faster)"},
  {"precision", 0, "precision", S, MEMBER(precision), kNone, "NAME",
   "Forward passes in float32 (default) or bfloat16 (mixed precision: convolutions in bfloat16, weights, gradients "
   "and optimizer in float32; faster on CPUs with AVX-512 BF16 or AMX and on GPUs with bfloat16; may be changed on "
   "--resume)", "float32"},
  {"workers", 0, nullptr, R, MEMBER(workers), kNone, "N", "Data-loading threads (default 2)"},
  {"seed", 0, "seed", K, MEMBER(seed), kNone, "N", "Random seed (default 1)"},
  {"max-images", 0, "max_images", K, MEMBER(max_images), kNone, "N", "Use at most N training photos (default: all)"},
  {"samples-every", 0, "samples_every", K, MEMBER(samples_every), kNone, "N",
   "Write a sample grid every N epochs (default 5, 0 = never)"},
  {"num-samples", 0, "num_samples", K, MEMBER(num_samples), kNone, "N",
   "Images per block of the sample grid (default 6)"},
  {"half", 0, "half", S, MEMBER(half), kNone, nullptr, "Export model.pt with float16 parameters (half the size)"},
  {"resume", 'r', nullptr, R, MEMBER(resume), kNone, nullptr,
   "Continue from the last checkpoint in --out with its options (--epochs, --pretrain-epochs, --decay-epochs, --lr, "
   "--lambda and run-time options may be changed; --threads stays the run's unless given, as only the same count "
   "continues it bit for bit; a damaged newest checkpoint falls back to the previous complete one)"},
  {"force", 0, nullptr, R, MEMBER(force), kNone, nullptr,
   "Start a new run even if --out holds an earlier run's files (they are deleted first)"},
  {"quiet", 'q', nullptr, R, MEMBER(quiet), kNone, nullptr, "Only warnings, errors and the final summary"},
  {"name", 0, "name", K, MEMBER(name), kNone, "TEXT", "Model name written into the exported file"},
  {"license", 0, "license", K, MEMBER(license), kNone, "TEXT", "License written into the exported file"},
  {"accumulate", 0, nullptr, R, MEMBER(accumulate), kNone, "N",
   "Train each batch in N parts one after another, batch-norm statistics per part (default 1; N processes with the "
   "same --batch train exactly like one with --accumulate N)"},
  {"world-size", 0, nullptr, R, MEMBER(dist.world_size), kNone, "N",
   "Processes of a data-parallel run; --batch is split among them (default $WORLD_SIZE, else 1)"},
  {"rank", 0, nullptr, R, MEMBER(dist.rank), kNone, "N",
   "This process's rank, 0..world size - 1; rank 0 writes the run's files (default $RANK, else 0)"},
  {"master-addr", 0, nullptr, R, MEMBER(dist.master_addr), kNone, "HOST",
   "Host of rank 0, which serves the rendezvous (default $MASTER_ADDR, else 127.0.0.1)"},
  {"master-port", 0, nullptr, R, MEMBER(dist.master_port), kNone, "N",
   "Port of the rendezvous (default $MASTER_PORT, else 29500)"},
  {"local-rank", 0, nullptr, R, MEMBER(dist.local_rank), kNone, "N",
   "CUDA device of this process (default $LOCAL_RANK, else 0)"},
  {"dist-timeout", 0, nullptr, R, MEMBER(dist.timeout_s), kNone, "S",
   "Seconds to wait for the rendezvous, and for a rank that stays silent, before stopping (default 600)"},
};
// clang-format on
#undef MEMBER

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

template <typename T>
T parse_integer(const std::string &what, const char *text, int64_t lo, int64_t hi) {
  gint64 v = 0;
  GError *error = nullptr;
  if (!g_ascii_string_to_signed(text, 10, lo, hi, &v, &error)) {
    g_error_free(error);
    throw UsageError(what + ": '" + text + "' is not a whole number");
  }
  return static_cast<T>(v);
}

double parse_number(const std::string &what, const char *text) {
  char *end = nullptr;
  const double v = g_ascii_strtod(text, &end);
  if (end == text || *end != '\0') throw UsageError(what + ": '" + text + "' is not a number");
  return v;
}

/// Sets the row's value in `o` from text (a command-line value, or a
/// row's `before`). `what` names the source in messages.
void set_from_text(const Row &row, TrainOptions &o, const std::string &what, const char *text) {
  std::visit(Overload{
                 [&](Ref<int> r) { r(o) = parse_integer<int>(what, text, INT_MIN, INT_MAX); },
                 [&](Ref<int64_t> r) { r(o) = parse_integer<int64_t>(what, text, INT64_MIN, INT64_MAX); },
                 [&](Ref<double> r) { r(o) = parse_number(what, text); },
                 [&](Ref<bool> r) { r(o) = text == nullptr || std::strcmp(text, "true") == 0; },
                 [&](Ref<std::string> r) {
                   std::string &s = r(o);
                   s = (row.flags & kJoined) && !s.empty() ? s + "," + text : text;
                 },
                 [&](Ref<std::vector<std::string>> r) { r(o).emplace_back(text); },
                 [&](auto r) { r(o) = parse_choice<std::decay_t<decltype(r(o))>>(what, text); },
             },
             row.ref);
}

const Row *find_row(const char *option_name) {
  for (const Row &row : kRows) {
    if (std::strncmp(option_name, "--", 2) == 0 ? std::strcmp(option_name + 2, row.name) == 0
                                                : row.short_name && option_name[1] == row.short_name)
      return &row;
  }
  return nullptr;
}

gboolean on_option(const gchar *option_name, const gchar *value, gpointer data, GError **error) {
  auto &o = *static_cast<TrainOptions *>(data);
  const Row *row = find_row(option_name);
  if (!row) {  // every entry comes from a row
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "%s: no such option", option_name);
    return FALSE;
  }
  try {
    // A repeated --data or --prefix-weight adds a value (their defaults are
    // empty); any other option takes the last one given.
    set_from_text(*row, o, std::string("--") + row->name, value);
  } catch (const UsageError &e) {
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, e.what());
    return FALSE;
  }
  o.given.insert(row->name);
  return TRUE;
}

std::vector<GOptionEntry> entries() {
  std::vector<GOptionEntry> out;
  for (const Row &row : kRows) {
    int flags = row.arg ? 0 : G_OPTION_FLAG_NO_ARG;
    if (row.flags & kPath) flags |= G_OPTION_FLAG_FILENAME;
    out.push_back({row.name, row.short_name, flags, G_OPTION_ARG_CALLBACK, reinterpret_cast<gpointer>(&on_option),
                   row.help, row.arg});
  }
  out.push_back({nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr});
  return out;
}

[[noreturn]] void wrong_type(const std::string &origin, const char *key, const char *expected) {
  throw std::runtime_error(origin + ": options." + key + " is not " + expected);
}

void read_member(const Row &row, JsonNode *node, TrainOptions &o, const std::string &origin) {
  const GType type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
  auto expect = [&](bool ok, const char *what) {
    if (!ok) wrong_type(origin, row.key, what);
  };
  const bool number = type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
  std::visit(Overload{
                 [&](Ref<int> r) {
                   expect(number, "a number");
                   r(o) = int(json_node_get_int(node));
                 },
                 [&](Ref<int64_t> r) {
                   expect(number, "a number");
                   r(o) = json_node_get_int(node);
                 },
                 [&](Ref<double> r) {
                   expect(number, "a number");
                   r(o) = json_node_get_double(node);
                 },
                 [&](Ref<bool> r) {
                   expect(type == G_TYPE_BOOLEAN, "true or false");
                   r(o) = json_node_get_boolean(node);
                 },
                 [&](Ref<std::string> r) {
                   expect(type == G_TYPE_STRING, "a string");
                   r(o) = json_node_get_string(node);
                 },
                 [&](Ref<std::vector<std::string>> r) {
                   expect(JSON_NODE_HOLDS_ARRAY(node), "an array of strings");
                   r(o).clear();
                   JsonArray *a = json_node_get_array(node);
                   for (guint i = 0; i < json_array_get_length(a); ++i) {
                     const char *text = json_node_get_string(json_array_get_element(a, i));
                     expect(text != nullptr, "an array of strings");
                     r(o).emplace_back(text);
                   }
                 },
                 [&](auto r) {
                   expect(type == G_TYPE_STRING, "a string");
                   r(o) = parse_choice<std::decay_t<decltype(r(o))>>(origin + ": options." + row.key,
                                                                     json_node_get_string(node));
                 },
             },
             row.ref);
}

}  // namespace

const char *to_string(GanLoss v) { return name_of(v); }
const char *to_string(Arch v) { return name_of(v); }
const char *to_string(Upsample v) { return name_of(v); }
const char *to_string(Precision v) { return name_of(v); }

GOptionGroup *train_option_group(TrainOptions &o) {
  static const std::vector<GOptionEntry> table = entries();
  GOptionGroup *group = g_option_group_new(nullptr, nullptr, nullptr, &o, nullptr);
  g_option_group_add_entries(group, table.data());
  return group;
}

TrainOptions resumed_options(const TrainOptions &cli, TrainOptions saved) {
  auto &from = const_cast<TrainOptions &>(cli);  // read only
  for (const Row &row : kRows) {
    if (row.on_resume == OnResume::Kept || (row.on_resume == OnResume::Schedule && !cli.given.count(row.name)))
      continue;
    std::visit([&](auto r) { r(saved) = r(from); }, row.ref);
  }
  saved.given = cli.given;
  saved.resume = true;
  return saved;
}

void add_options_json(JsonBuilder *b, const TrainOptions &o) {
  auto &from = const_cast<TrainOptions &>(o);  // read only
  for (const Row &row : kRows) {
    if (!row.key) continue;
    json_builder_set_member_name(b, row.key);
    std::visit(Overload{
                   [&](Ref<int> r) { json_builder_add_int_value(b, r(from)); },
                   [&](Ref<int64_t> r) { json_builder_add_int_value(b, r(from)); },
                   [&](Ref<double> r) { json_builder_add_double_value(b, r(from)); },
                   [&](Ref<bool> r) { json_builder_add_boolean_value(b, r(from)); },
                   [&](Ref<std::string> r) { json_builder_add_string_value(b, r(from).c_str()); },
                   [&](Ref<std::vector<std::string>> r) {
                     json_builder_begin_array(b);
                     for (const auto &s : r(from)) json_builder_add_string_value(b, s.c_str());
                     json_builder_end_array(b);
                   },
                   [&](auto r) { json_builder_add_string_value(b, to_string(r(from))); },
               },
               row.ref);
  }
}

void read_options_json(JsonObject *object, TrainOptions &o, const std::string &origin) {
  for (const Row &row : kRows) {
    if (!row.key) continue;
    if (JsonNode *node = json_object_get_member(object, row.key)) {
      read_member(row, node, o, origin);
    } else if (row.before) {
      set_from_text(row, o, origin + ": options." + row.key, row.before);
    }
  }
  // Runs saved before --data could be repeated had one folder.
  if (!json_object_has_member(object, "data_dirs") && json_object_has_member(object, "data_dir")) {
    const char *dir = json_node_get_string(json_object_get_member(object, "data_dir"));
    if (!dir) wrong_type(origin, "data_dir", "a string");
    o.data_dirs = {dir};
  }
}

}  // namespace colorize::train
