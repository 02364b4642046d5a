#pragma once

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "agent/telemetry_ring.h"
#include "hal/board_spec.h"
#include "hal/result.h"

namespace qeil {

struct TelemetryLogOptions {
  std::string dir;                   // where the files go (created if missing, one level)
  uint64_t maxFileBytes = 1u << 20;  // compressed size of one file, at most
  int maxFiles = 8;                  // files kept (the oldest deleted beyond); <= kMaxFiles
  int64_t flushPeriodMs = 5000;      // Z_SYNC_FLUSH period: what a crash may lose
  int64_t retryPeriodMs = 5000;      // after a write error, the next file is tried this late
};

// Rotating gzip telemetry files (issue 7): each sample is one CSV line
// (time_s, <rail>_w..., <zone>_c..., <device>_khz...; an invalid reading is an empty field) in
// DIR/qeil-telemetry-<seq>.csv.gz, each file starting with the header, so `zcat` reads them.
// A file is closed (and the next one started) before its compressed size would pass
// maxFileBytes; beyond maxFiles the oldest are deleted, so the directory holds at most
// maxFiles x maxFileBytes of them. Sequence numbers continue after the files already there.
// append() formats into fixed buffers and never allocates while a file is open. A write error
// (disk full, the directory gone) is logged once, counted, and the file abandoned; the next
// file is tried retryPeriodMs later. The daemon never stops for it.
class TelemetryLog {
 public:
  static constexpr int kMaxFiles = 64;
  static constexpr const char* kPrefix = "qeil-telemetry-";
  static constexpr const char* kSuffix = ".csv.gz";

  // Fails only on invalid options; a directory that cannot be written is a counted error.
  static Result<std::unique_ptr<TelemetryLog>> create(const BoardSpec& board,
                                                      const TelemetryLogOptions& options,
                                                      int64_t nowNs);
  ~TelemetryLog();
  TelemetryLog(const TelemetryLog&) = delete;
  TelemetryLog& operator=(const TelemetryLog&) = delete;

  // One tick's sample (the agent's loop). nowNs: the clock the periods are measured on.
  void append(const TelemetrySample& sample, int64_t nowNs);
  // Flushes and closes the current file (its gzip trailer written); the next append opens a
  // new one.
  void close();

  const std::string& dir() const { return options_.dir; }
  const TelemetryLogOptions& options() const { return options_; }
  int files() const { return fileCount_; }
  // Compressed bytes of the kept files (the current one: what reached the disk).
  uint64_t bytes() const;
  uint64_t writeErrors() const { return writeErrors_; }
  uint64_t samplesWritten() const { return samplesWritten_; }
  bool writing() const { return file_ != nullptr; }
  const std::string& header() const { return header_; }

 private:
  TelemetryLog(const TelemetryLogOptions& options, std::string header)
      : options_(options), header_(std::move(header)) {}
  void scanExisting();
  bool openNext(int64_t nowNs);
  void fail(const char* what, int errnum, int64_t nowNs);
  bool flush();
  void finishFile();
  void deleteOldest();
  void filePath(uint64_t seq, char* out, size_t cap) const;

  struct FileEntry {
    uint64_t seq = 0;
    uint64_t bytes = 0;
  };
  TelemetryLogOptions options_;
  std::string header_;  // with its newline
  gzFile file_ = nullptr;
  std::array<FileEntry, kMaxFiles> files_{};  // oldest first; the last one is current when open
  int fileCount_ = 0;
  uint64_t nextSeq_ = 1;
  uint64_t flushedBytes_ = 0;  // the current file's size at its last flush
  uint64_t pendingBytes_ = 0;  // uncompressed bytes given to zlib since
  int64_t lastFlushNs_ = 0;
  int64_t retryAtNs_ = 0;
  bool failing_ = false;  // in an error streak (logged once)
  uint64_t writeErrors_ = 0;
  uint64_t samplesWritten_ = 0;
  size_t railCount_ = 0;
  size_t zoneCount_ = 0;
  size_t deviceCount_ = 0;
  char line_[4096] = {};
};

// The telemetry files of `dir` (qeil-telemetry-<seq>.csv.gz), oldest first (by sequence).
Result<std::vector<std::string>> listTelemetryFiles(const std::string& dir);

struct TelemetryExportReport {
  size_t files = 0;
  size_t rows = 0;                    // data lines written
  std::vector<std::string> problems;  // "FILE: what was wrong", one per unreadable file
};

// Decompresses the files of `dir` in order to `out`: the header once (again only where a file's
// header differs), then every complete data line. sinceS >= 0: only the rows within sinceS
// seconds of the newest sample. A file that is corrupt or truncated adds a problem naming it
// and what it held before the damage is kept; the newest file ending early is the daemon's
// current one and is no problem. Fails when the directory cannot be read or holds no files.
Result<TelemetryExportReport> exportTelemetry(const std::string& dir, double sinceS, FILE* out);

}  // namespace qeil
