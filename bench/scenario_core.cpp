#include "bench/scenario_core.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace qeil::bench::scenario {
namespace {

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
double uniform01(uint64_t* state) {
  return static_cast<double>(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

std::string fmt(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::vector<double> poissonArrivalsS(double ratePerS, int count, uint64_t seed) {
  std::vector<double> out;
  if (!(ratePerS > 0.0) || count <= 0) return out;
  uint64_t state = seed;
  double t = 0.0;
  for (int i = 0; i < count; ++i) {
    t += -std::log1p(-uniform01(&state)) / ratePerS;
    out.push_back(t);
  }
  return out;
}

std::vector<int> drawQuestions(int questions, int count, uint64_t seed) {
  std::vector<int> out;
  if (questions <= 0) return out;
  uint64_t state = seed ^ 0x5eed5eed5eed5eedull;
  std::vector<int> deck;
  for (int i = 0; i < count; ++i) {
    if (deck.empty()) {
      for (int q = 0; q < questions; ++q)
        deck.push_back(q);
    }
    size_t pick = static_cast<size_t>(uniform01(&state) * static_cast<double>(deck.size()));
    pick = std::min(pick, deck.size() - 1);
    out.push_back(deck[pick]);
    deck[pick] = deck.back();
    deck.pop_back();
  }
  return out;
}

const std::vector<ModelArch>& sweepModels() {
  // Sizes from the models' config.json (hidden size, layers, KV heads x head dim).
  static const std::vector<ModelArch> kModels = {
      {"SmolLM2-135M", 0.135e9, 30, 576, 3 * 64},   {"SmolLM2-360M", 0.362e9, 32, 960, 5 * 64},
      {"Llama-3.2-1B", 1.236e9, 16, 2048, 8 * 64},  {"Llama-3.2-3B", 3.213e9, 28, 3072, 8 * 128},
      {"Llama-3.1-8B", 8.030e9, 32, 4096, 8 * 128},
  };
  return kModels;
}

const ModelArch& defaultModel() {
  return sweepModels()[3];
}

LlmWorkloadSpec querySpec(const ModelArch& m, int bits, int promptTokens, int outputTokens,
                          int maxSampleTokens, int threads) {
  LlmWorkloadSpec w;
  w.name = std::string(m.name) + (bits <= 4 ? "-q4" : "-f16");
  w.params = m.params;
  w.bitsPerWeight = bits <= 4 ? 4.5 : 16.0;
  w.layers = m.layers;
  w.hiddenWidth = m.hiddenWidth;
  w.kvWidth = m.kvWidth;
  w.promptTokens = promptTokens;
  w.outputTokens = outputTokens;
  w.contextTokens = promptTokens + maxSampleTokens;
  w.threads = threads;
  return w;
}

QueryReplay::QueryReplay(const verify::ReplayQuestion& question,
                         const verify::SessionConfig& config)
    : question_(&question) {
  verify::Session::create(config, &session_);
  const int k = std::min<int>(config.kMax, static_cast<int>(question.samples.size()));
  uint64_t end = 0;
  for (int i = 0; i < k; ++i) {
    const int tokens = std::max(1, question.samples[static_cast<size_t>(i)].outputTokens);
    end += static_cast<uint64_t>(tokens);
    ends_.push_back(end);
    maxSampleTokens_ = std::max(maxSampleTokens_, tokens);
  }
  budgetTokens_ = static_cast<int>(end);
  done_ = ends_.empty();
}

bool QueryReplay::advance(uint64_t tokensDecoded) {
  while (!done_ && static_cast<size_t>(fed_) < ends_.size() &&
         ends_[static_cast<size_t>(fed_)] <= tokensDecoded) {
    const verify::ReplaySample& s = question_->samples[static_cast<size_t>(fed_)];
    verify::Sample sample;
    sample.answer = s.answer;
    sample.outputTokens = s.outputTokens;
    sample.hasConfidence = s.hasConfidence;
    sample.confidenceLogProb = s.confidenceLogProb;
    const verify::Decision d = session_.add(sample);
    ++fed_;
    if (d.stop || static_cast<size_t>(fed_) == ends_.size()) done_ = true;
  }
  return done_;
}

bool QueryReplay::correct() const {
  const verify::Decision& d = session_.decision();
  return fed_ > 0 && d.selected.kind != verify::AnswerKind::kNone &&
         verify::sameAnswer(d.selected, question_->gold, session_.config().numericRelTolerance);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  size_t i = rank < 1.0 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

Metrics computeMetrics(const std::vector<QueryRecord>& queries, double energyJ, double durationS) {
  Metrics m;
  m.queries = static_cast<int>(queries.size());
  m.energyJ = energyJ;
  m.durationS = durationS;
  std::vector<double> latencies;
  double samples = 0.0;
  for (const QueryRecord& q : queries) {
    if (q.endS < 0.0) continue;
    ++m.answered;
    m.correct += q.correct ? 1 : 0;
    latencies.push_back(q.endS - q.arrivalS);
    samples += q.samples;
  }
  if (m.queries == 0) return m;
  m.energyPerQueryJ = energyJ / m.queries;
  m.energyPerCorrectJ =
      m.correct > 0 ? energyJ / m.correct : std::numeric_limits<double>::infinity();
  m.avgPowerW = durationS > 0.0 ? energyJ / durationS : 0.0;
  m.p50S = percentile(latencies, 50.0);
  m.p95S = percentile(latencies, 95.0);
  m.p99S = percentile(latencies, 99.0);
  m.accuracy = static_cast<double>(m.correct) / m.queries;
  m.meanSamples = m.answered > 0 ? samples / m.answered : 0.0;
  m.ipw = m.avgPowerW > 0.0 ? m.accuracy / m.avgPowerW : 0.0;
  m.ipj = m.energyPerQueryJ > 0.0 ? m.accuracy / m.energyPerQueryJ : 0.0;
  return m;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csvField(fields[i]);
  }
  return out + "\n";
}

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// Axis range [lo, hi] widened to include 0 and padded; never empty.
void range(const std::vector<SvgSeries>& series, bool useX, double* lo, double* hi) {
  *lo = std::numeric_limits<double>::infinity();
  *hi = -*lo;
  for (const SvgSeries& s : series) {
    for (double v : useX ? s.x : s.y) {
      if (!std::isfinite(v)) continue;
      *lo = std::min(*lo, v);
      *hi = std::max(*hi, v);
    }
  }
  if (!std::isfinite(*lo)) *lo = *hi = 0.0;
  if (*hi - *lo < 1e-9) *hi = *lo + 1.0;
}

std::string text(double x, double y, const std::string& s, const char* anchor, int size) {
  char buf[160];
  snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\">", x,
           y, size, anchor);
  return buf + xmlEscape(s) + "</text>\n";
}

}  // namespace

std::string svgLineChart(const std::string& title, const std::string& xLabel,
                         const std::string& yLabel, const std::vector<SvgSeries>& series, double x0,
                         double y0, double width, double height) {
  double xl, xh, yl, yh;
  range(series, true, &xl, &xh);
  range(series, false, &yl, &yh);
  yl = std::min(yl, 0.0);
  const double left = x0 + 60, right = x0 + width - 10, top = y0 + 30, bottom = y0 + height - 40;
  auto px = [&](double x) { return left + (x - xl) / (xh - xl) * (right - left); };
  auto py = [&](double y) { return bottom - (y - yl) / (yh - yl) * (bottom - top); };
  std::string out;
  char buf[256];
  out += text(x0 + width / 2, y0 + 18, title, "middle", 14);
  snprintf(buf, sizeof buf,
           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
           "stroke=\"#888\"/>\n",
           left, top, right - left, bottom - top);
  out += buf;
  for (int i = 0; i <= 4; ++i) {
    const double xv = xl + (xh - xl) * i / 4, yv = yl + (yh - yl) * i / 4;
    out += text(px(xv), bottom + 14, fmt(xv), "middle", 10);
    out += text(left - 4, py(yv) + 4, fmt(yv), "end", 10);
  }
  out += text((left + right) / 2, bottom + 30, xLabel, "middle", 11);
  snprintf(buf, sizeof buf,
           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
           "transform=\"rotate(-90 %.1f %.1f)\">",
           x0 + 14, (top + bottom) / 2, x0 + 14, (top + bottom) / 2);
  out += buf + xmlEscape(yLabel) + "</text>\n";
  double legendY = top + 12;
  for (const SvgSeries& s : series) {
    out += "<polyline fill=\"none\" stroke-width=\"1.2\" stroke=\"" + xmlEscape(s.color) +
           "\" points=\"";
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      snprintf(buf, sizeof buf, "%.1f,%.1f ", px(s.x[i]), py(s.y[i]));
      out += buf;
    }
    out += "\"/>\n";
    snprintf(buf, sizeof buf,
             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-width=\"2\" "
             "stroke=\"",
             right - 150, legendY - 4, right - 130, legendY - 4);
    out += buf + xmlEscape(s.color) + "\"/>\n";
    out += text(right - 126, legendY, s.label, "start", 10);
    legendY += 13;
  }
  return out;
}

std::string svgBarChart(const std::string& title, const std::string& unit,
                        const std::vector<std::string>& labels, const std::vector<double>& values,
                        double x0, double y0, double width, double height) {
  double hi = 0.0;
  for (double v : values) {
    if (std::isfinite(v)) hi = std::max(hi, v);
  }
  if (hi <= 0.0) hi = 1.0;
  std::string out = text(x0 + width / 2, y0 + 18, title, "middle", 14);
  const size_t n = std::max<size_t>(labels.size(), 1);
  const double left = x0 + 110, right = x0 + width - 70, top = y0 + 28;
  const double barH = std::max(4.0, (height - 36) / static_cast<double>(n) - 4);
  char buf[256];
  for (size_t i = 0; i < labels.size() && i < values.size(); ++i) {
    const double y = top + static_cast<double>(i) * (barH + 4);
    const double v = std::isfinite(values[i]) ? values[i] : 0.0;
    out += text(left - 4, y + barH * 0.75, labels[i], "end", 10);
    snprintf(buf, sizeof buf,
             "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7ab5\"/>\n",
             left, y, (right - left) * v / hi, barH);
    out += buf;
    out += text(left + (right - left) * v / hi + 4, y + barH * 0.75,
                std::isfinite(values[i]) ? fmt(values[i]) + " " + unit : "none", "start", 10);
  }
  return out;
}

}  // namespace qeil::bench::scenario
