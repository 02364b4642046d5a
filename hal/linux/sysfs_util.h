#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hal/cpu_set.h"
#include "hal/fixed_vector.h"
#include "hal/freq_domain.h"
#include "hal/linux/sysfs_file.h"
#include "hal/result.h"

// Helpers shared by the sysfs backends: directory scans done once at start-up (they allocate)
// and allocation-free parsing of the list formats sysfs uses.
namespace qeil {

// Entries of `dir` named <prefix><number> ("thermal_zone3"), as numbers, ascending. A missing
// directory is an empty list (no such class of device on this board).
Result<std::vector<int>> listNumbered(const std::string& dir, const char* prefix);
// Names in `dir` (no "." or ".."), sorted. A missing directory is an empty list.
Result<std::vector<std::string>> listNames(const std::string& dir);

// Reads an integer and checks it lies in lo..hi; the error names the file and the unit:
// "<path>: 250000 kHz is outside 1..10000000 kHz".
Result<int64_t> readIntInRange(SysfsFile& file, int64_t lo, int64_t hi, const char* unit);
Result<int64_t> readIntFileInRange(const std::string& path, int64_t lo, int64_t hi,
                                   const char* unit);

// Parses whitespace-separated decimal numbers ("408000 600000 816000"), multiplies each by
// `scale` and checks the result lies in lo..hi. Sorted ascending, duplicates dropped.
Status parseFreqList(const char* text, const char* where, uint64_t scale, uint64_t lo, uint64_t hi,
                     FreqTable* out);
// Parses the space-separated CPU numbers cpufreq prints ("0 1 2 3").
Result<CpuSet> parseCpuWords(const char* text, const char* where);
// True if `word` is one of the whitespace-separated words of `list`.
bool hasWord(const char* list, const char* word);

// Frequencies sysfs may report: 1 kHz..10 GHz. Anything else is a broken file.
constexpr uint64_t kMinPlausibleHz = 1000;
constexpr uint64_t kMaxPlausibleHz = 10'000'000'000;

// Reads a frequency in the file's unit (`unitHz` = 1000 for kHz, 1 for Hz) and returns Hz.
// Never allocates.
Result<uint64_t> readFreqHz(SysfsFile& file, uint64_t unitHz);
// Refuses a limit outside the hardware range, naming the domain.
Status checkHwRange(const char* domain, uint64_t hz, uint64_t minHz, uint64_t maxHz);
// Refuses a governor that `availablePath` does not list, naming the domain and the choices.
Status checkGovernor(const char* domain, const std::string& availablePath, const char* name);

// The last path component of the symlink at `path` ("../../../1-0040" -> "1-0040").
Result<std::string> readLinkBase(const std::string& path);

// Copies `src` into `dst` (capacity `cap`); fails naming `where` if it does not fit.
Status copyText(char* dst, size_t cap, const char* src, const char* where);

}  // namespace qeil
