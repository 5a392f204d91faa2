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
  std::cerr << " | val PSNR " << fixed(e.val.psnr, 2) << " dB, dE(ab) " << fixed(e.val.delta_ab, 2)
            << ", colourfulness " << fixed(e.val.colorfulness, 1) << " | ETA " << format_duration(eta_s)
            << "\n" << std::flush;
  last_ = std::chrono::steady_clock::now();
}

void ProgressPrinter::message(const std::string &text) {
  clear_bar();
  std::cerr << text << "\n" << std::flush;
}

cv::Mat plot_losses(const std::vector<EpochStats> &history) {
  constexpr int kW = 800, kH = 500, kMargin = 50;
  cv::Mat img(kH, kW, CV_8UC3, cv::Scalar(255, 255, 255));
  struct Series {
    const char *label;
    cv::Scalar color;
    double EpochStats::*field;
  };
  // Each curve is scaled to its own range (labels show min..max).
  const Series series[] = {{"L1 (gen)", {200, 60, 0}, &EpochStats::g_l1},
                           {"G adversarial", {0, 140, 0}, &EpochStats::g_gan},
                           {"D loss", {0, 0, 200}, &EpochStats::d_loss},
                           {"val PSNR", {150, 0, 150}, nullptr}};
  const cv::Rect area(kMargin, kMargin, kW - 2 * kMargin, kH - 2 * kMargin);
  cv::rectangle(img, area, cv::Scalar(0, 0, 0), 1);
  cv::putText(img, "epoch", {kW / 2 - 20, kH - 15}, kFont, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  const int n = int(history.size());
  if (n > 0) {
    cv::putText(img, "1", {kMargin - 4, kH - kMargin + 18}, kFont, 0.45, {0, 0, 0}, 1, cv::LINE_AA);
    cv::putText(img, std::to_string(history.back().epoch), {kW - kMargin - 10, kH - kMargin + 18}, kFont, 0.45,
                {0, 0, 0}, 1, cv::LINE_AA);
  }
  int legend_y = 20;
  for (const auto &s : series) {
    std::vector<double> v;
    for (const auto &e : history) v.push_back(s.field ? e.*(s.field) : e.val.psnr);
    if (v.empty() || std::all_of(v.begin(), v.end(), [](double x) { return x == 0; })) continue;
    const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
    const double lo = *lo_it, hi = std::max(*hi_it, lo + 1e-9);
    std::vector<cv::Point> pts;
    for (int i = 0; i < n; ++i) {
      const double fx = n > 1 ? double(i) / (n - 1) : 0.5;
      const double fy = (v[i] - lo) / (hi - lo);
      pts.emplace_back(area.x + int(fx * area.width), area.y + area.height - int(fy * area.height));
    }
    cv::polylines(img, pts, false, s.color, 2, cv::LINE_AA);
    for (const auto &p : pts) cv::circle(img, p, 2, s.color, cv::FILLED, cv::LINE_AA);
    const std::string label = std::string(s.label) + "  " + fixed(lo, 4) + " .. " + fixed(hi, 4);
    cv::putText(img, label, {kMargin + 10, legend_y + 5}, kFont, 0.45, s.color, 1, cv::LINE_AA);
    legend_y += 15;
  }
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
  const std::filesystem::path p(path);
  const std::string tmp = (p.parent_path() / (".tmp-" + p.filename().string())).string();
  if (!cv::imwrite(tmp, image)) throw std::runtime_error(tmp + ": cannot write image");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(path + ": cannot rename from " + tmp);
}

}  // namespace colorize::train
