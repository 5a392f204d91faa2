// Training state <-> JSON with json-glib: see state.h.
#include "state.h"

#include "train_options.h"

#include <json-glib/json-glib.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace colorize::train {
namespace {

void add(JsonBuilder *b, const char *key, double v) {
  json_builder_set_member_name(b, key);
  json_builder_add_double_value(b, v);
}
void add(JsonBuilder *b, const char *key, int64_t v) {
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, v);
}
void add(JsonBuilder *b, const char *key, int v) { add(b, key, int64_t(v)); }
void add(JsonBuilder *b, const char *key, const std::string &v) {
  json_builder_set_member_name(b, key);
  json_builder_add_string_value(b, v.c_str());
}
void add(JsonBuilder *b, const char *key, const char *v) { add(b, key, std::string(v)); }

void add_scores(JsonBuilder *b, const char *key, const Scores &s) {
  json_builder_set_member_name(b, key);
  json_builder_begin_object(b);
  add(b, "psnr", s.psnr);
  add(b, "delta_ab", s.delta_ab);
  add(b, "colorfulness", s.colorfulness);
  add(b, "ripple", s.ripple);
  add(b, "l_error", s.l_error);
  json_builder_end_object(b);
}

std::string finish(JsonBuilder *b) {
  g_autoptr(JsonGenerator) gen = json_generator_new();
  JsonNode *root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  json_generator_set_pretty(gen, TRUE);
  g_autofree gchar *text = json_generator_to_data(gen, nullptr);
  json_node_unref(root);
  return text;
}

// Readers with defaults (the file is ours; missing keys keep defaults).
double get(JsonObject *o, const char *k, double d) {
  return json_object_has_member(o, k) ? json_object_get_double_member(o, k) : d;
}
int64_t get(JsonObject *o, const char *k, int64_t d) {
  return json_object_has_member(o, k) ? json_object_get_int_member(o, k) : d;
}
int get(JsonObject *o, const char *k, int d) { return int(get(o, k, int64_t(d))); }
std::string get(JsonObject *o, const char *k, const std::string &d) {
  if (!json_object_has_member(o, k)) return d;
  const char *s = json_object_get_string_member(o, k);
  return s ? s : d;
}
Scores get_scores(JsonObject *o, const char *k) {
  Scores s;
  if (!json_object_has_member(o, k)) return s;
  JsonObject *m = json_object_get_object_member(o, k);
  s.psnr = get(m, "psnr", 0.0);
  s.delta_ab = get(m, "delta_ab", 0.0);
  s.colorfulness = get(m, "colorfulness", 0.0);
  s.ripple = get(m, "ripple", 0.0);
  s.l_error = get(m, "l_error", 0.0);
  return s;
}

}  // namespace

std::string to_json(const TrainState &s) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add(b, "epoch", s.epoch);
  add(b, "elapsed_s", s.elapsed_s);
  add(b, "images_seen", s.images_seen);
  add(b, "train_photos", s.train_photos);
  add(b, "val_photos", s.val_photos);
  add(b, "skipped_files", s.skipped_files);
  add_scores(b, "val_gray", s.val_gray);
  add(b, "val_original_colorfulness", s.val_original_colorfulness);
  json_builder_set_member_name(b, "options");
  json_builder_begin_object(b);
  add_options_json(b, s.options);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "history");
  json_builder_begin_array(b);
  for (const auto &e : s.history) {
    json_builder_begin_object(b);
    add(b, "epoch", e.epoch);
    add(b, "phase", e.phase);
    add(b, "lr", e.lr);
    add(b, "g_l1", e.g_l1);
    add(b, "g_class", e.g_class);
    add(b, "g_gan", e.g_gan);
    add(b, "d_loss", e.d_loss);
    add(b, "seconds", e.seconds);
    add(b, "cpu_seconds", e.cpu_seconds);
    add(b, "images_per_s", e.images_per_s);
    add_scores(b, "val", e.val);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return finish(b);
}

TrainState state_from_json(const std::string &text, const std::string &origin) {
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = nullptr;
  if (!json_parser_load_from_data(parser, text.c_str(), gssize(text.size()), &error))
    throw std::runtime_error(origin + ": invalid JSON: " + error->message);
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root) ||
      !json_object_has_member(json_node_get_object(root), "options"))
    throw std::runtime_error(origin + ": not a training state (no \"options\" object)");
  JsonObject *r = json_node_get_object(root);
  TrainState s;
  s.epoch = get(r, "epoch", 0);
  s.elapsed_s = get(r, "elapsed_s", 0.0);
  s.images_seen = get(r, "images_seen", int64_t(0));
  s.train_photos = get(r, "train_photos", 0);
  s.val_photos = get(r, "val_photos", 0);
  s.skipped_files = get(r, "skipped_files", 0);
  s.val_gray = get_scores(r, "val_gray");
  s.val_original_colorfulness = get(r, "val_original_colorfulness", 0.0);
  JsonNode *options = json_object_get_member(r, "options");
  if (!JSON_NODE_HOLDS_OBJECT(options)) throw std::runtime_error(origin + ": \"options\" is not an object");
  read_options_json(json_node_get_object(options), s.options, origin);
  if (json_object_has_member(r, "history")) {
    JsonArray *h = json_object_get_array_member(r, "history");
    for (guint i = 0; i < json_array_get_length(h); ++i) {
      JsonObject *e = json_array_get_object_element(h, i);
      EpochStats st;
      st.epoch = get(e, "epoch", 0);
      st.phase = get(e, "phase", std::string());
      st.lr = get(e, "lr", 0.0);
      st.g_l1 = get(e, "g_l1", 0.0);
      st.g_class = get(e, "g_class", 0.0);
      st.g_gan = get(e, "g_gan", 0.0);
      st.d_loss = get(e, "d_loss", 0.0);
      st.seconds = get(e, "seconds", 0.0);
      st.cpu_seconds = get(e, "cpu_seconds", 0.0);
      st.images_per_s = get(e, "images_per_s", 0.0);
      st.val = get_scores(e, "val");
      s.history.push_back(st);
    }
  }
  return s;
}

std::string training_facts_json(const TrainState &s) {
  const TrainOptions &o = s.options;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add(b, "trainer", "colorize-train");
  add(b, "method", o.arch == Arch::UNet ? "pix2pix" : "encoder-decoder (L1 only)");
  add(b, "upsample", to_string(o.upsample));
  add(b, "class_weight", o.class_weight);
  if (o.hints) add(b, "hints", "simulated: geometric count (p = 1/8), 1-9 px patches of the mean a,b");
  if (!o.init.empty()) add(b, "init", o.init);
  if (!o.prefix_weights.empty()) add(b, "prefix_weights", o.prefix_weights);
  add(b, "train_photos", s.train_photos);
  add(b, "val_photos", s.val_photos);
  add(b, "epochs", s.epoch);
  add(b, "pretrain_epochs", std::min(o.pretrain_epochs, s.epoch));
  add(b, "images_seen", s.images_seen);
  add(b, "image_size", o.size);
  add(b, "batch", o.batch);
  add(b, "gan_loss", to_string(o.gan_loss));
  add(b, "lambda_l1", o.lambda_l1);
  add(b, "lr", o.lr);
  add(b, "seed", int64_t(o.seed));
  add(b, "wall_time_s", s.elapsed_s);
  if (!s.history.empty()) add_scores(b, "val_metrics", s.history.back().val);
  add_scores(b, "val_grayscale_baseline", s.val_gray);
  add(b, "val_original_colorfulness", s.val_original_colorfulness);
  json_builder_end_object(b);
  return finish(b);
}

std::string losses_csv(const std::vector<EpochStats> &history) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << "epoch,phase,lr,g_l1,g_class,g_gan,d_loss,seconds,cpu_seconds,images_per_s,val_psnr,val_delta_ab,"
       "val_colorfulness,val_ripple\n";
  for (const auto &e : history)
    s << e.epoch << ',' << e.phase << ',' << e.lr << ',' << e.g_l1 << ',' << e.g_class << ',' << e.g_gan << ','
      << e.d_loss << ',' << e.seconds << ',' << e.cpu_seconds << ',' << e.images_per_s << ',' << e.val.psnr << ','
      << e.val.delta_ab << ',' << e.val.colorfulness << ',' << e.val.ripple << '\n';
  return s.str();
}

void write_file_atomic(const std::string &path, const std::string &content) {
  g_autoptr(GError) error = nullptr;
  if (!g_file_set_contents_full(path.c_str(), content.data(), gssize(content.size()),
                                GFileSetContentsFlags(G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE),
                                0666, &error))
    throw std::runtime_error(error->message);
}

std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace colorize::train
