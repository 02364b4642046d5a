// The rotating gzip telemetry files: rotation and the size bound, the files read back with zlib
// to the samples written, the exporter over truncated and corrupt files, write errors counted and
// recovered from, no allocation per append, and the agent writing them each tick.
#include "agent/telemetry_log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/api.h"
#include "agent/qeild_options.h"
#include "tests/support/alloc_counter.h"
#include "tests/unit/agent/agent_fixture.h"

namespace qeil {
namespace {

// Seeded samples of a board: some readings invalid (NaN power or temperature, 0 kHz).
std::vector<TelemetrySample> makeSamples(const BoardSpec& b, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> watts(0.0f, 15.0f), celsius(20.0f, 95.0f);
  std::uniform_int_distribution<uint32_t> khz(200000, 2400000);
  std::uniform_int_distribution<int> invalid(0, 19);
  std::vector<TelemetrySample> out(n);
  for (size_t i = 0; i < n; ++i) {
    TelemetrySample& s = out[i];
    s.timeNs = static_cast<int64_t>(i + 1) * 100 * kNsPerMs;
    for (size_t r = 0; r < b.rails.size(); ++r)
      s.railW[r] = invalid(rng) == 0 ? NAN : watts(rng);
    for (size_t z = 0; z < b.zones.size(); ++z)
      s.zoneC[z] = invalid(rng) == 0 ? NAN : celsius(rng);
    for (size_t d = 0; d < b.devices.size(); ++d)
      s.freqKHz[d] = invalid(rng) == 0 ? 0 : khz(rng);
  }
  return out;
}

// Every line of a gzip file, read with zlib itself; *complete: the stream ended properly.
std::vector<std::string> gunzipLines(const std::string& path, bool* complete = nullptr) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  std::string text;
  char buf[8192];
  int n = 0;
  while (f && (n = gzread(f, buf, sizeof buf)) > 0)
    text.append(buf, static_cast<size_t>(n));
  if (complete) *complete = n == 0;
  if (f) gzclose(f);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
    fields.push_back(line.substr(start, comma - start));
  fields.push_back(line.substr(start));
  return fields;
}

// A field against the value written, within the printed precision; empty for invalid.
void expectField(const std::string& text, double value, bool valid, double tolerance) {
  if (!valid) {
    EXPECT_EQ(text, "");
    return;
  }
  ASSERT_FALSE(text.empty());
  EXPECT_NEAR(strtod(text.c_str(), nullptr), value, tolerance) << text;
}

void expectRow(const std::string& row, const TelemetrySample& s, const BoardSpec& b) {
  std::vector<std::string> f = split(row);
  ASSERT_EQ(f.size(), 1 + b.rails.size() + b.zones.size() + b.devices.size()) << row;
  expectField(f[0], static_cast<double>(s.timeNs) / kNsPerS, true, 0.0005);
  size_t i = 1;
  for (size_t r = 0; r < b.rails.size(); ++r, ++i)
    expectField(f[i], s.railW[r], !std::isnan(s.railW[r]), 0.5e-4 + 1e-6);
  for (size_t z = 0; z < b.zones.size(); ++z, ++i)
    expectField(f[i], s.zoneC[z], !std::isnan(s.zoneC[z]), 0.005 + 1e-5);
  for (size_t d = 0; d < b.devices.size(); ++d, ++i)
    expectField(f[i], s.freqKHz[d], s.freqKHz[d] != 0, 0.0);
}

class TelemetryLogTest : public ::testing::Test {
 protected:
  BoardSpec board_ = test::shippedBoard("rk3588.cfg");
  test::TempDir tmp_;

  std::unique_ptr<TelemetryLog> make(const TelemetryLogOptions& o) {
    auto log = TelemetryLog::create(board_, o, 0);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message());
    return log.ok() ? std::move(log.value()) : nullptr;
  }
  TelemetryLogOptions options(uint64_t fileBytes, int files) const {
    TelemetryLogOptions o;
    o.dir = tmp_.file("tel");
    o.maxFileBytes = fileBytes;
    o.maxFiles = files;
    o.flushPeriodMs = 1000;
    return o;
  }
  std::vector<std::string> files() const {
    auto f = listTelemetryFiles(tmp_.file("tel"));
    EXPECT_TRUE(f.ok());
    return f.ok() ? f.value() : std::vector<std::string>();
  }
};

TEST_F(TelemetryLogTest, HeaderNamesTheBoard) {
  auto log = make(options(1 << 20, 4));
  ASSERT_TRUE(log);
  std::vector<std::string> h = split(log->header().substr(0, log->header().size() - 1));
  ASSERT_EQ(h.size(), 1 + board_.rails.size() + board_.zones.size() + board_.devices.size());
  EXPECT_EQ(h[0], "time_s");
  EXPECT_EQ(h[1], board_.rails[0].name + "_w");
  EXPECT_EQ(h[1 + board_.rails.size()], board_.zones[0].name + "_c");
  EXPECT_EQ(h.back(), board_.devices.back().name + "_khz");
}

// Small files, none deleted: every file within its bound, and together, header by header,
// exactly the samples pushed.
TEST_F(TelemetryLogTest, RotatedFilesHoldEverySampleInOrder) {
  const uint64_t bound = 4096;
  auto log = make(options(bound, TelemetryLog::kMaxFiles));
  ASSERT_TRUE(log);
  std::vector<TelemetrySample> samples = makeSamples(board_, 1500, 7);
  for (const TelemetrySample& s : samples)
    log->append(s, s.timeNs);
  log->close();
  EXPECT_EQ(log->writeErrors(), 0u);
  EXPECT_EQ(log->samplesWritten(), samples.size());
  std::vector<std::string> paths = files();
  ASSERT_GT(paths.size(), 3u);  // it did rotate
  ASSERT_LT(paths.size(), static_cast<size_t>(TelemetryLog::kMaxFiles));
  EXPECT_EQ(log->files(), static_cast<int>(paths.size()));
  size_t next = 0;
  uint64_t total = 0;
  for (const std::string& p : paths) {
    struct stat st;
    ASSERT_EQ(stat(p.c_str(), &st), 0);
    EXPECT_LE(static_cast<uint64_t>(st.st_size), bound) << p;
    if (p != paths.back()) {
      EXPECT_GT(static_cast<uint64_t>(st.st_size), bound / 2) << p << ": rotated far too early";
    }
    total += static_cast<uint64_t>(st.st_size);
    bool complete = false;
    std::vector<std::string> lines = gunzipLines(p, &complete);
    EXPECT_TRUE(complete) << p;
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0] + "\n", log->header());
    for (size_t i = 1; i < lines.size(); ++i, ++next) {
      ASSERT_LT(next, samples.size());
      expectRow(lines[i], samples[next], board_);
    }
  }
  EXPECT_EQ(next, samples.size());
  EXPECT_EQ(log->bytes(), total);
}

// Beyond the file count the oldest go: the directory stays within files x bound and keeps the
// newest samples.
TEST_F(TelemetryLogTest, OldestFilesDeletedSoTheTotalIsBounded) {
  const uint64_t bound = 4096;
  const int kept = 3;
  auto log = make(options(bound, kept));
  ASSERT_TRUE(log);
  std::vector<TelemetrySample> samples = makeSamples(board_, 3000, 11);
  uint64_t maxTotal = 0;
  for (const TelemetrySample& s : samples) {
    log->append(s, s.timeNs);
    maxTotal = std::max(maxTotal, log->bytes());
    ASSERT_LE(log->files(), kept);
  }
  log->close();
  EXPECT_LE(maxTotal, bound * kept);
  std::vector<std::string> paths = files();
  ASSERT_EQ(paths.size(), static_cast<size_t>(kept));
  uint64_t total = 0;
  for (const std::string& p : paths) {
    struct stat st;
    ASSERT_EQ(stat(p.c_str(), &st), 0);
    total += static_cast<uint64_t>(st.st_size);
  }
  EXPECT_LE(total, bound * kept);
  std::vector<std::string> last = gunzipLines(paths.back());
  ASSERT_GT(last.size(), 1u);
  expectRow(last.back(), samples.back(), board_);
  // A restart continues the sequence and still keeps `kept` files.
  log.reset();
  auto again = make(options(bound, kept));
  ASSERT_TRUE(again);
  std::vector<std::string> after = files();
  ASSERT_EQ(after.size(), static_cast<size_t>(kept));
  EXPECT_EQ(after[kept - 2], paths.back());
}

TEST_F(TelemetryLogTest, ExportMatchesTheFilesAndHonoursSince) {
  TelemetryLogOptions o = options(4096, TelemetryLog::kMaxFiles);
  o.flushPeriodMs = 100;  // every sample reaches the disk at once
  auto log = make(o);
  ASSERT_TRUE(log);
  std::vector<TelemetrySample> samples = makeSamples(board_, 800, 3);
  for (const TelemetrySample& s : samples)
    log->append(s, s.timeNs);
  // Not closed: the newest file is the daemon's current one, without its trailer.
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  auto report = exportTelemetry(tmp_.file("tel"), -1.0, out);
  fclose(out);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report.value().problems.empty());
  std::vector<std::string> lines;
  std::istringstream in(std::string(text, size));
  free(text);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  ASSERT_EQ(lines.size(), 1 + samples.size());  // header once; everything flushed so far
  EXPECT_EQ(lines[0] + "\n", log->header());
  for (size_t i = 0; i < samples.size(); ++i)
    expectRow(lines[i + 1], samples[i], board_);

  out = open_memstream(&text, &size);
  report = exportTelemetry(tmp_.file("tel"), 10.0, out);  // the last 10 s: 101 samples
  fclose(out);
  free(text);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().rows, 101u);
}

// Exports into a string; the report.
Result<TelemetryExportReport> exportTo(const std::string& dir, std::string* text) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  auto report = exportTelemetry(dir, -1.0, out);
  fclose(out);
  text->assign(buf, size);
  free(buf);
  return report;
}

void truncateTo(const std::string& path, double fraction) {
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(st.st_size * fraction)), 0);
}

TEST_F(TelemetryLogTest, TruncatedAndCorruptFilesAreNamedAndTheRestExported) {
  auto log = make(options(4096, TelemetryLog::kMaxFiles));
  ASSERT_TRUE(log);
  for (const TelemetrySample& s : makeSamples(board_, 1200, 5))
    log->append(s, s.timeNs);
  log->close();
  std::vector<std::string> paths = files();
  ASSERT_GE(paths.size(), 4u);
  std::string full;
  auto whole = exportTo(tmp_.file("tel"), &full);
  ASSERT_EQ(std::count(full.begin(), full.end(), '\n'), 1201);
  ASSERT_TRUE(whole.ok());
  const size_t allRows = whole.value().rows;
  const std::vector<std::string> first = gunzipLines(paths[0]);

  truncateTo(paths[1], 0.5);
  test::writeFile(paths[2], "this is not gzip\n");
  truncateTo(paths.back(), 0.6);  // the newest: a daemon's current file
  std::string text;
  auto report = exportTo(tmp_.file("tel"), &text);
  ASSERT_TRUE(report.ok());
  const auto& problems = report.value().problems;
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find(paths[1]), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("truncated"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find(paths[2]), std::string::npos) << problems[1];
  EXPECT_NE(problems[1].find("corrupt"), std::string::npos) << problems[1];
  // What was readable is exported, every row complete and in order.
  EXPECT_GT(report.value().rows, 0u);
  EXPECT_LT(report.value().rows, allRows);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  double lastT = -1.0;
  size_t rows = 0;
  for (; std::getline(in, line); ++rows) {
    ASSERT_EQ(split(line).size(), split(log->header()).size()) << line;
    double t = strtod(line.c_str(), nullptr);
    EXPECT_GT(t, lastT);
    lastT = t;
  }
  EXPECT_EQ(rows, report.value().rows);
  // The intact first file comes out whole, first.
  std::string firstText;
  for (const std::string& l : first)
    firstText += l + "\n";
  EXPECT_EQ(text.compare(0, firstText.size(), firstText), 0);
}

TEST_F(TelemetryLogTest, MissingDirectoryIsAnError) {
  std::string text;
  auto report = exportTo(tmp_.file("nothing-here"), &text);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(std::string(report.error().message()).find("nothing-here"), std::string::npos);
  tmp_.mkdirs("empty");
  report = exportTo(tmp_.file("empty"), &text);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(std::string(report.error().message()).find("no telemetry files"), std::string::npos);
}

// The directory's parent is a regular file (the tests run as root, so permissions would not
// stop them): every attempt fails and is counted, nothing crashes; once the path can be made, the
// next retry writes again.
TEST_F(TelemetryLogTest, WriteErrorsAreCountedAndWritingResumes) {
  tmp_.write("blocker", "a regular file\n");
  TelemetryLogOptions o = options(1 << 20, 4);
  o.dir = tmp_.file("blocker/tel");
  o.retryPeriodMs = 1000;
  auto made = TelemetryLog::create(board_, o, 0);
  ASSERT_TRUE(made.ok());
  TelemetryLog& log = *made.value();
  EXPECT_FALSE(log.writing());
  EXPECT_EQ(log.writeErrors(), 1u);
  std::vector<TelemetrySample> samples = makeSamples(board_, 100, 1);
  for (size_t i = 0; i < 50; ++i)
    log.append(samples[i], samples[i].timeNs);  // 5 s: retried at 1, 2, 3, 4, 5 s
  EXPECT_EQ(log.writeErrors(), 6u);
  EXPECT_EQ(log.samplesWritten(), 0u);
  ASSERT_EQ(unlink(tmp_.file("blocker").c_str()), 0);
  ASSERT_EQ(mkdir(tmp_.file("blocker").c_str(), 0755), 0);
  for (size_t i = 50; i < 100; ++i)
    log.append(samples[i], samples[i].timeNs);
  EXPECT_TRUE(log.writing());
  EXPECT_EQ(log.writeErrors(), 6u);
  EXPECT_GE(log.samplesWritten(), 39u);  // from the retry at 6 s on
  log.close();
  std::vector<std::string> lines =
      gunzipLines(tmp_.file("blocker/tel/qeil-telemetry-000001.csv.gz"));
  ASSERT_EQ(lines.size(), 1 + log.samplesWritten());
  expectRow(lines.back(), samples.back(), board_);
}

// A full disk in the middle of a run: the next file is a link to /dev/full (every write fails
// with ENOSPC). The failure is counted, the daemon goes on, and the files after it are written.
TEST_F(TelemetryLogTest, DiskFullMidRunIsCountedAndTheNextFileWritten) {
  TelemetryLogOptions o = options(4096, 8);
  o.flushPeriodMs = 100;
  o.retryPeriodMs = 1000;
  auto log = make(o);
  ASSERT_TRUE(log);
  ASSERT_EQ(symlink("/dev/full", tmp_.file("tel/qeil-telemetry-000002.csv.gz").c_str()), 0);
  std::vector<TelemetrySample> samples = makeSamples(board_, 1500, 13);
  size_t i = 0;
  for (; i < samples.size() && log->writeErrors() == 0; ++i)
    log->append(samples[i], samples[i].timeNs);
  ASSERT_EQ(log->writeErrors(), 1u) << "never rotated into the full file";
  EXPECT_FALSE(log->writing());
  const uint64_t written = log->samplesWritten();
  for (; i < samples.size(); ++i)
    log->append(samples[i], samples[i].timeNs);
  EXPECT_EQ(log->writeErrors(), 1u);  // logged and counted once; the next file is fine
  EXPECT_GT(log->samplesWritten(), written + 500);
  log->close();
  std::vector<std::string> kept = files();
  ASSERT_EQ(kept.size(), 8u);
  EXPECT_GT(kept[0], tmp_.file("tel/qeil-telemetry-000002.csv.gz"));  // rotated well past it
  std::vector<std::string> last = gunzipLines(kept.back());
  ASSERT_GT(last.size(), 1u);
  EXPECT_EQ(last[0] + "\n", log->header());
  expectRow(last.back(), samples.back(), board_);
}

TEST_F(TelemetryLogTest, AppendDoesNotAllocate) {
  TelemetryLogOptions o = options(1 << 20, 4);
  o.flushPeriodMs = 300;  // the flushes are in the measured appends too
  auto log = make(o);
  ASSERT_TRUE(log);
  std::vector<TelemetrySample> samples = makeSamples(board_, 2000, 9);
  log->append(samples[0], samples[0].timeNs);
  test::AllocationScope scope;
  for (size_t i = 1; i < samples.size(); ++i)
    log->append(samples[i], samples[i].timeNs);
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(log->samplesWritten(), samples.size());
  EXPECT_EQ(log->files(), 1);
}

TEST_F(TelemetryLogTest, InvalidOptionsAreRefused) {
  TelemetryLogOptions o = options(100, 4);
  EXPECT_FALSE(TelemetryLog::create(board_, o, 0).ok());
  o = options(1 << 20, 1);
  EXPECT_FALSE(TelemetryLog::create(board_, o, 0).ok());
  o = options(1 << 20, TelemetryLog::kMaxFiles + 1);
  EXPECT_FALSE(TelemetryLog::create(board_, o, 0).ok());
  o.dir.clear();
  o.maxFiles = 4;
  EXPECT_FALSE(TelemetryLog::create(board_, o, 0).ok());
}

// The agent writes a line per tick, without allocating, and /v1/status reports the files.
TEST(AgentTelemetryFiles, EveryTickIsWrittenAndReported) {
  test::TwinAgent t("rk3588.cfg");
  AgentOptions o;
  o.telemetryFiles.dir = t.dir.file("tel");
  ASSERT_TRUE(t.start(o));
  for (int i = 0; i < 20; ++i)
    t.agent->tick();
  test::AllocationScope scope;
  for (int i = 0; i < 200; ++i)
    t.agent->tick();
  EXPECT_EQ(scope.count(), 0u);
  ApiResponse r = handleApiRequest(*t.agent, "GET", "/v1/status");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject() && d.HasMember("telemetry")) << r.body;
  const auto& tel = d["telemetry"];
  EXPECT_STREQ(tel["dir"].GetString(), o.telemetryFiles.dir.c_str());
  EXPECT_EQ(tel["files"].GetInt(), 1);
  EXPECT_EQ(tel["samples_written"].GetUint64(), 220u);
  EXPECT_EQ(tel["write_errors"].GetUint64(), 0u);
  EXPECT_GT(tel["bytes"].GetUint64(), 0u);
  t.agent->telemetryLog()->close();
  std::vector<std::string> lines = gunzipLines(t.dir.file("tel/qeil-telemetry-000001.csv.gz"));
  ASSERT_EQ(lines.size(), 221u);
  // The last row is the agent's last sample.
  expectRow(lines.back(), t.agent->telemetry().newest(), t.board);
}

TEST(AgentTelemetryFiles, StatusSaysNoneWithoutADirectory) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.start());
  ApiResponse r = handleApiRequest(*t.agent, "GET", "/v1/status");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject() && d.HasMember("telemetry")) << r.body;
  EXPECT_TRUE(d["telemetry"]["dir"].IsNull());
  EXPECT_EQ(t.agent->telemetryLog(), nullptr);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

TEST(QeildTelemetryOptions, DirAndSizeBound) {
  const char* argv[] = {
      "qeild", "--board", "b.cfg", "--telemetry-dir", "/tmp/t", "--telemetry-max-mib", "2.5"};
  auto o = parseQeildOptions(7, argv);
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o.value().telemetryDir, "/tmp/t");
  EXPECT_DOUBLE_EQ(o.value().telemetryMaxMiB, 2.5);
  const char* bad[] = {"qeild", "--board", "b.cfg", "--telemetry-max-mib", "0"};
  auto e = parseQeildOptions(5, bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(std::string(e.error().message()).find("--telemetry-max-mib"), std::string::npos);
  const char* none[] = {"qeild", "--board", "b.cfg"};
  EXPECT_TRUE(parseQeildOptions(3, none).value().telemetryDir.empty());
}

}  // namespace
}  // namespace qeil
