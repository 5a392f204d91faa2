// Progress output, loss plot and sample grids: see report.h.
#include "report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace colorize::train {
namespace {

/// Plain progress lines are printed at most this often (non-TTY).
constexpr double kPlainIntervalS = 30.0;
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// False for the scores of no photos at all (ScoreSums::mean() gives all
/// zeros then): a picture whose L is kept never has a PSNR of 0 dB.
bool has_scores(const Scores &s) { return s.psnr > 0; }

}  // namespace

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[64];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

ProgressPrinter::ProgressPrinter(bool quiet)
    : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0), last_(std::chrono::steady_clock::now()) {}

void ProgressPrinter::clear_bar() {
  if (bar_shown_) std::cerr << "\r\033[K";
  bar_shown_ = false;
}

void ProgressPrinter::step(int epoch, int epochs, int step, int steps, double images_per_s,
                           const std::string &losses, double eta_s) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  std::ostringstream line;
  line << "epoch " << epoch << "/" << epochs << " step " << step << "/" << steps << "  "
       << fixed(images_per_s, 1) << " img/s  " << losses << "  ETA " << format_duration(eta_s);
  if (tty_) {
    constexpr int kBar = 24;
    const int filled = steps > 0 ? kBar * step / steps : 0;
    std::cerr << "\r\033[K[" << std::string(filled, '#') << std::string(kBar - filled, '.') << "] "
              << line.str() << std::flush;
    bar_shown_ = true;
  } else if (since >= kPlainIntervalS) {
    std::cerr << line.str() << "\n" << std::flush;
    last_ = now;
  }
}

void ProgressPrinter::epoch_done(const EpochStats &e, int epochs, double eta_s) {
  if (quiet_) return;
  clear_bar();
  std::cerr << "epoch " << e.epoch << "/" << epochs << " [" << e.phase << "] " << format_duration(e.seconds)
            << ", " << fixed(e.images_per_s, 1) << " img/s, lr " << e.lr << ", L1 " << fixed(e.g_l1, 4);
  if (e.phase == "gan") std::cerr << ", G " << fixed(e.g_gan, 3) << ", D " << fixed(e.d_loss, 3);
  if (has_scores(e.val))
    std::cerr << " | val PSNR " << fixed(e.val.psnr, 2) << " dB, dE(ab) " << fixed(e.val.delta_ab, 2)
              << ", colourfulness " << fixed(e.val.colorfulness, 1);
  else
    std::cerr << " | no validation photos";
  std::cerr << " | ETA " << format_duration(eta_s) << "\n" << std::flush;
  last_ = std::chrono::steady_clock::now();
}

void ProgressPrinter::message(const std::string &text) {
  clear_bar();
  std::cerr << text << "\n" << std::flush;
}

namespace {

struct Series {
  std::string label;
  cv::Scalar color;
  std::vector<cv::Point2d> points;  ///< (epoch, value)
};

/// One panel: the series share the panel's y range; x = epoch 1..last.
void draw_panel(cv::Mat &img, const cv::Rect &area, const std::string &title, const std::vector<Series> &series,
                int last_epoch) {
  cv::rectangle(img, area, cv::Scalar(0, 0, 0), 1);
  double lo = 1e300, hi = -1e300;
  for (const auto &s : series)
    for (const auto &p : s.points) lo = std::min(lo, p.y), hi = std::max(hi, p.y);
  int x_text = area.x;
  cv::putText(img, title, {x_text, area.y - 24}, kFont, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  for (const auto &s : series) {
    cv::putText(img, s.label, {x_text, area.y - 6}, kFont, 0.45, s.color, 1, cv::LINE_AA);
    x_text += 12 + cv::getTextSize(s.label, kFont, 0.45, 1, nullptr).width;
  }
  if (lo > hi) return;
  if (hi - lo < 1e-9) hi = lo + 1e-9;
  cv::putText(img, fixed(hi, 4), {area.x + area.width + 4, area.y + 10}, kFont, 0.4, {0, 0, 0}, 1, cv::LINE_AA);
  cv::putText(img, fixed(lo, 4), {area.x + area.width + 4, area.y + area.height}, kFont, 0.4, {0, 0, 0}, 1,
              cv::LINE_AA);
  const double span = std::max(1, last_epoch - 1);
  for (const auto &s : series) {
    std::vector<cv::Point> pts;
    for (const auto &p : s.points)
      pts.emplace_back(area.x + int((p.x - 1) / span * area.width),
                       area.y + area.height - int((p.y - lo) / (hi - lo) * area.height));
    if (pts.size() > 1) cv::polylines(img, pts, false, s.color, 2, cv::LINE_AA);
    for (const auto &p : pts) cv::circle(img, p, 2, s.color, cv::FILLED, cv::LINE_AA);
  }
}

}  // namespace

cv::Mat plot_losses(const std::vector<EpochStats> &history) {
  constexpr int kW = 800, kH = 640, kLeft = 20, kRight = 90, kTop = 50, kPanel = 230, kGap = 70;
  cv::Mat img(kH, kW, CV_8UC3, cv::Scalar(255, 255, 255));
  Series l1{"train L1", {200, 60, 0}, {}}, psnr{"val PSNR (dB)", {150, 0, 150}, {}};
  Series g{"G adversarial", {0, 140, 0}, {}}, d{"D", {0, 0, 200}, {}};
  for (const auto &e : history) {
    l1.points.emplace_back(e.epoch, e.g_l1);
    if (has_scores(e.val)) psnr.points.emplace_back(e.epoch, e.val.psnr);
    if (e.phase == "gan") {
      g.points.emplace_back(e.epoch, e.g_gan);
      d.points.emplace_back(e.epoch, e.d_loss);
    }
  }
  const int last = history.empty() ? 1 : history.back().epoch;
  const int w = kW - kLeft - kRight;
  draw_panel(img, {kLeft, kTop, w, kPanel / 2}, "L1 loss per epoch (training)", {l1}, last);
  draw_panel(img, {kLeft, kTop + kPanel / 2 + 40, w, kPanel / 2}, "", {psnr}, last);
  draw_panel(img, {kLeft, kTop + kPanel + kGap + 20, w, kPanel}, "adversarial losses (GAN epochs)", {g, d}, last);
  cv::putText(img, "epoch 1", {kLeft, kH - 12}, kFont, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
  cv::putText(img, "epoch " + std::to_string(last), {kW - kRight - 60, kH - 12}, kFont, 0.45, {0, 0, 0}, 1,
              cv::LINE_AA);
  return img;
}

cv::Mat sample_grid(const std::vector<std::vector<std::vector<cv::Mat>>> &blocks,
                    const std::vector<std::string> &block_titles,
                    const std::vector<std::string> &row_labels, const std::string &caption) {
  constexpr int kGap = 4, kTitle = 22, kLabel = 70;
  cv::Size cell;
  int cols = 0, rows = 0;
  for (const auto &b : blocks) {
    rows += int(b.size());
    for (const auto &r : b) {
      cols = std::max(cols, int(r.size()));
      if (!r.empty()) cell = r[0].size();
    }
  }
  if (cell.area() == 0) return {};
  const int width = kLabel + cols * (cell.width + kGap);
  const int height = kTitle + int(blocks.size()) * kTitle + rows * (cell.height + kGap);
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(img, caption, {6, 16}, kFont, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  int y = kTitle;
  for (size_t b = 0; b < blocks.size(); ++b) {
    cv::putText(img, b < block_titles.size() ? block_titles[b] : "", {6, y + 16}, kFont, 0.5, {0, 0, 0}, 1,
                cv::LINE_AA);
    y += kTitle;
    for (size_t r = 0; r < blocks[b].size(); ++r) {
      const std::string label = r < row_labels.size() ? row_labels[r] : "";
      cv::putText(img, label, {4, y + cell.height / 2 + 5}, kFont, 0.4, {0, 0, 0}, 1, cv::LINE_AA);
      for (size_t c = 0; c < blocks[b][r].size(); ++c) {
        const cv::Mat &m = blocks[b][r][c];
        CV_Assert(m.type() == CV_8UC3 && m.size() == cell);
        m.copyTo(img(cv::Rect(kLabel + int(c) * (cell.width + kGap), y, cell.width, cell.height)));
      }
      y += cell.height + kGap;
    }
  }
  return img;
}

void write_image_atomic(const std::string &path, const cv::Mat &image) {
  std::vector<uchar> bytes;
  bool encoded = false;
  try {
    encoded = cv::imencode(std::filesystem::path(path).extension().string(), image, bytes);
  } catch (const cv::Exception &) {
  }
  if (!encoded) throw std::runtime_error(path + ": cannot encode an image in this format");
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace colorize::train
