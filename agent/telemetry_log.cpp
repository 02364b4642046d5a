#include "agent/telemetry_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "hal/clock.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logTelemetry("telemetry");

// What a file's compressed size may grow by beyond the bytes given to zlib since the last
// flush: a sync flush marker, stored-block headers of incompressible input, the trailer.
constexpr uint64_t kSlackBytes = 64;

// The sequence number of "qeil-telemetry-<seq>.csv.gz"; false for any other name.
bool parseName(const char* name, uint64_t* seq) {
  const size_t prefix = strlen(TelemetryLog::kPrefix);
  const size_t suffix = strlen(TelemetryLog::kSuffix);
  const size_t n = strlen(name);
  if (n <= prefix + suffix || strncmp(name, TelemetryLog::kPrefix, prefix) != 0 ||
      strcmp(name + n - suffix, TelemetryLog::kSuffix) != 0)
    return false;
  uint64_t v = 0;
  for (size_t i = prefix; i < n - suffix; ++i) {
    if (name[i] < '0' || name[i] > '9' || v > UINT64_MAX / 10 - 10) return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *seq = v;
  return true;
}

struct SeqFile {
  uint64_t seq;
  std::string path;
};

Result<std::vector<SeqFile>> scanDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d)
    return Error::make(errno, "%s: cannot read the directory: %s", dir.c_str(), strerror(errno));
  std::vector<SeqFile> files;
  while (dirent* e = readdir(d)) {
    uint64_t seq = 0;
    if (parseName(e->d_name, &seq)) files.push_back({seq, dir + "/" + e->d_name});
  }
  closedir(d);
  std::sort(files.begin(), files.end(),
            [](const SeqFile& a, const SeqFile& b) { return a.seq < b.seq; });
  return files;
}

uint64_t sizeOf(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Appends ",value" (or "," for an invalid reading) at line[*pos].
void field(char* line, size_t cap, size_t* pos, const char* fmt, double v, bool valid) {
  if (*pos + 1 >= cap) return;
  int n =
      valid ? snprintf(line + *pos, cap - *pos, fmt, v) : snprintf(line + *pos, cap - *pos, ",");
  if (n > 0) *pos = std::min(*pos + static_cast<size_t>(n), cap - 1);
}

}  // namespace

Result<std::unique_ptr<TelemetryLog>> TelemetryLog::create(const BoardSpec& board,
                                                           const TelemetryLogOptions& options,
                                                           int64_t nowNs) {
  if (options.dir.empty()) return Error::make(EINVAL, "telemetry directory: empty");
  if (options.maxFiles < 2 || options.maxFiles > kMaxFiles)
    return Error::make(EINVAL, "telemetry files: %d, must be 2..%d", options.maxFiles, kMaxFiles);
  if (options.maxFileBytes < 4096)
    return Error::make(EINVAL, "telemetry file size %" PRIu64 " bytes: at least 4096",
                       options.maxFileBytes);
  if (options.flushPeriodMs <= 0 || options.retryPeriodMs <= 0)
    return Error::make(EINVAL, "telemetry flush and retry periods must be > 0 ms");
  if (board.rails.size() > kAgentMaxRails || board.zones.size() > kAgentMaxZones ||
      board.devices.size() > kAgentMaxDevices)
    return Error::make(E2BIG, "%s: more rails, zones or devices than telemetry holds",
                       board.name.c_str());
  std::string header = "time_s";
  for (const BoardRail& r : board.rails)
    header += "," + r.name + "_w";
  for (const BoardZone& z : board.zones)
    header += "," + z.name + "_c";
  for (const BoardDevice& d : board.devices)
    header += "," + d.name + "_khz";
  header += '\n';
  std::unique_ptr<TelemetryLog> log(new TelemetryLog(options, std::move(header)));
  log->railCount_ = board.rails.size();
  log->zoneCount_ = board.zones.size();
  log->deviceCount_ = board.devices.size();
  log->scanExisting();
  log->openNext(nowNs);
  return log;
}

TelemetryLog::~TelemetryLog() {
  close();
}

void TelemetryLog::filePath(uint64_t seq, char* out, size_t cap) const {
  snprintf(out, cap, "%s/%s%06" PRIu64 "%s", options_.dir.c_str(), kPrefix, seq, kSuffix);
}

void TelemetryLog::scanExisting() {
  auto found = scanDir(options_.dir);
  if (!found.ok()) return;  // openNext reports it
  for (const SeqFile& f : found.value()) {
    if (fileCount_ == options_.maxFiles) deleteOldest();
    files_[fileCount_++] = FileEntry{f.seq, sizeOf(f.path.c_str())};
    nextSeq_ = f.seq + 1;
  }
}

void TelemetryLog::deleteOldest() {
  if (fileCount_ == 0) return;
  char path[4096];
  filePath(files_[0].seq, path, sizeof path);
  if (unlink(path) != 0 && errno != ENOENT) {
    ++writeErrors_;
    QEIL_LOG(logTelemetry, Warn, "removing %s: %s", path, strerror(errno));
  }
  std::copy(files_.begin() + 1, files_.begin() + fileCount_, files_.begin());
  --fileCount_;
}

void TelemetryLog::fail(const char* what, int errnum, int64_t nowNs) {
  ++writeErrors_;
  if (!failing_) {
    QEIL_LOG(logTelemetry, Warn, "%s: %s: %s; telemetry files resume at the next rotation",
             options_.dir.c_str(), what, errnum ? strerror(errnum) : "zlib error");
  }
  failing_ = true;
  if (file_) {
    gzclose(file_);  // the error already counted; what reached the disk stays readable
    file_ = nullptr;
    char path[4096];
    filePath(files_[fileCount_ - 1].seq, path, sizeof path);
    files_[fileCount_ - 1].bytes = sizeOf(path);
  }
  retryAtNs_ = nowNs + options_.retryPeriodMs * kNsPerMs;
}

bool TelemetryLog::openNext(int64_t nowNs) {
  while (fileCount_ >= options_.maxFiles)
    deleteOldest();
  mkdir(options_.dir.c_str(), 0755);  // it may have gone since (EEXIST otherwise)
  char path[4096];
  filePath(nextSeq_, path, sizeof path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("opening a telemetry file", errno, nowNs);
    return false;
  }
  file_ = gzdopen(fd, "wb6");
  if (!file_) {
    ::close(fd);
    fail("starting a gzip stream", ENOMEM, nowNs);
    return false;
  }
  files_[fileCount_++] = FileEntry{nextSeq_++, 0};
  flushedBytes_ = 0;
  pendingBytes_ = 0;
  lastFlushNs_ = nowNs;
  const int n = static_cast<int>(header_.size());
  if (gzwrite(file_, header_.data(), static_cast<unsigned>(n)) != n) {
    fail("writing the header", errno, nowNs);
    return false;
  }
  pendingBytes_ = static_cast<uint64_t>(n);
  if (!flush()) {
    fail("flushing", errno, nowNs);
    return false;
  }
  if (failing_) QEIL_LOG(logTelemetry, Info, "writing telemetry again, to %s", path);
  failing_ = false;
  return true;
}

bool TelemetryLog::flush() {
  if (gzflush(file_, Z_SYNC_FLUSH) != Z_OK) return false;
  z_off_t at = gzoffset(file_);
  if (at < 0) return false;
  flushedBytes_ = static_cast<uint64_t>(at);
  pendingBytes_ = 0;
  files_[fileCount_ - 1].bytes = flushedBytes_;
  return true;
}

void TelemetryLog::finishFile() {
  if (!file_) return;
  const int rc = gzclose(file_);
  file_ = nullptr;
  char path[4096];
  filePath(files_[fileCount_ - 1].seq, path, sizeof path);
  files_[fileCount_ - 1].bytes = sizeOf(path);
  if (rc != Z_OK) {
    ++writeErrors_;
    QEIL_LOG(logTelemetry, Warn, "closing %s: zlib error %d", path, rc);
  }
}

void TelemetryLog::close() {
  finishFile();
}

void TelemetryLog::append(const TelemetrySample& s, int64_t nowNs) {
  if (!file_ && (nowNs < retryAtNs_ || !openNext(nowNs))) return;
  const size_t cap = sizeof line_;
  int head = snprintf(line_, cap, "%.3f", static_cast<double>(s.timeNs) / kNsPerS);
  size_t pos = head > 0 ? static_cast<size_t>(head) : 0;
  for (size_t r = 0; r < railCount_; ++r)
    field(line_, cap, &pos, ",%.4f", s.railW[r], !std::isnan(s.railW[r]));
  for (size_t z = 0; z < zoneCount_; ++z)
    field(line_, cap, &pos, ",%.2f", s.zoneC[z], !std::isnan(s.zoneC[z]));
  for (size_t d = 0; d < deviceCount_; ++d)
    field(line_, cap, &pos, ",%.0f", s.freqKHz[d], s.freqKHz[d] != 0);
  if (pos + 1 >= cap) pos = cap - 2;
  line_[pos++] = '\n';
  line_[pos] = '\0';
  // Rotate before the file could pass its bound: the size at the last flush plus everything
  // given to zlib since is an upper bound; when that is too much, flush to know exactly.
  const uint64_t need = pos + kSlackBytes + pendingBytes_ / 1024;
  if (flushedBytes_ + pendingBytes_ + need > options_.maxFileBytes) {
    if (!flush()) return fail("flushing", errno, nowNs);
    lastFlushNs_ = nowNs;
    if (flushedBytes_ + need > options_.maxFileBytes) {
      finishFile();
      if (!openNext(nowNs)) return;
    }
  }
  if (gzwrite(file_, line_, static_cast<unsigned>(pos)) != static_cast<int>(pos))
    return fail("writing", errno, nowNs);
  pendingBytes_ += pos;
  ++samplesWritten_;
  if (nowNs - lastFlushNs_ >= options_.flushPeriodMs * kNsPerMs) {
    if (!flush()) return fail("flushing", errno, nowNs);
    lastFlushNs_ = nowNs;
  }
}

uint64_t TelemetryLog::bytes() const {
  uint64_t total = 0;
  for (int i = 0; i < fileCount_; ++i)
    total += files_[i].bytes;
  return total;
}

Result<std::vector<std::string>> listTelemetryFiles(const std::string& dir) {
  auto found = scanDir(dir);
  if (!found.ok()) return found.error();
  std::vector<std::string> paths;
  for (const SeqFile& f : found.value())
    paths.push_back(f.path);
  return paths;
}

namespace {

// kGone: deleted since it was listed (the daemon rotated it away while we read the others).
enum class ReadEnd { kComplete, kTruncated, kCorrupt, kGone };

// Every complete line of a gzip file (without its newline), in order; how the stream ended
// and, when not complete, zlib's words for it.
ReadEnd readLines(const std::string& path, const std::function<void(const std::string&)>& line,
                  std::string* why) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    if (errno == ENOENT) return ReadEnd::kGone;
    *why = std::string("cannot open: ") + strerror(errno);
    return ReadEnd::kCorrupt;
  }
  std::string partial;
  std::vector<char> buf(1 << 16);
  ReadEnd end = ReadEnd::kComplete;
  for (;;) {
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n > 0 && gzdirect(f)) {
      *why = "not a gzip file";
      end = ReadEnd::kCorrupt;
      break;
    }
    if (n < 0) {
      int err = Z_OK;
      const char* msg = gzerror(f, &err);
      *why = msg ? msg : "read error";
      end = err == Z_BUF_ERROR ? ReadEnd::kTruncated : ReadEnd::kCorrupt;
      break;
    }
    if (n == 0) break;
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      if (buf[i] != '\n') continue;
      partial.append(buf.data() + start, i - start);
      line(partial);
      partial.clear();
      start = i + 1;
    }
    partial.append(buf.data() + start, static_cast<size_t>(n) - start);
  }
  gzclose(f);
  if (end == ReadEnd::kComplete && !partial.empty()) {
    *why = "the last line is incomplete";
    end = ReadEnd::kTruncated;
  }
  return end;
}

double timeOf(const std::string& row) {
  char* endp = nullptr;
  double t = strtod(row.c_str(), &endp);
  return endp != row.c_str() ? t : NAN;
}

}  // namespace

Result<TelemetryExportReport> exportTelemetry(const std::string& dir, double sinceS, FILE* out) {
  auto files = listTelemetryFiles(dir);
  if (!files.ok()) return files.error();
  const std::vector<std::string>& paths = files.value();
  if (paths.empty())
    return Error::make(ENOENT, "%s: no telemetry files (%s<seq>%s)", dir.c_str(),
                       TelemetryLog::kPrefix, TelemetryLog::kSuffix);
  double fromS = -INFINITY;
  if (sinceS >= 0.0) {
    // The newest sample: the last data line of the newest file that has one.
    for (size_t i = paths.size(); i-- > 0 && std::isinf(fromS);) {
      double newest = NAN;
      bool first = true;
      std::string ignored;
      readLines(
          paths[i],
          [&](const std::string& l) {
            if (!first) newest = timeOf(l);
            first = false;
          },
          &ignored);
      if (std::isfinite(newest)) fromS = newest - sinceS;
    }
  }
  TelemetryExportReport report;
  std::string printedHeader;
  for (size_t i = 0; i < paths.size(); ++i) {
    bool first = true;
    size_t rows = 0;
    std::string why;
    ReadEnd end = readLines(
        paths[i],
        [&](const std::string& l) {
          if (first) {
            first = false;
            if (l != printedHeader) fprintf(out, "%s\n", l.c_str());
            printedHeader = l;
            return;
          }
          if (!(timeOf(l) >= fromS)) return;
          fwrite(l.data(), 1, l.size(), out);
          fputc('\n', out);
          ++rows;
        },
        &why);
    if (end == ReadEnd::kGone) continue;
    ++report.files;
    report.rows += rows;
    const bool current = i + 1 == paths.size() && end == ReadEnd::kTruncated;
    if (end != ReadEnd::kComplete && !current) {
      char note[64];
      snprintf(note, sizeof note, "; %zu rows before it exported", rows);
      report.problems.push_back(
          paths[i] + ": " + (end == ReadEnd::kTruncated ? "truncated gzip (" : "corrupt gzip (") +
          why + ")" + note);
    }
  }
  return report;
}

}  // namespace qeil
