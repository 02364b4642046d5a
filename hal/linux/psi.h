#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/result.h"

namespace qeil {

// Pressure stall information: the share of time tasks waited for a resource.
enum class PsiResource { Cpu, Memory, Io };
const char* psiResourceName(PsiResource resource);  // "cpu", "memory", "io"

// One line of a pressure file: averages in percent over 10/60/300 s, total stall time in us.
struct PsiLine {
  double avg10 = 0.0;
  double avg60 = 0.0;
  double avg300 = 0.0;
  uint64_t totalUs = 0;
};

// `some`: at least one task stalled; `full`: all non-idle tasks stalled at once. System-wide
// cpu has a `full` line of zeros since Linux 5.13 and none before.
struct PsiStats {
  PsiLine some;
  PsiLine full;
  bool hasFull = false;
};

// Parses the text of a pressure file; `where` names its source in errors.
Status parsePsi(const char* text, const char* where, PsiStats* out);

// Reads one pressure file, held open: /proc/pressure/<resource> or a cgroup's
// <resource>.pressure. A missing file means the kernel has no PSI (built without CONFIG_PSI, or
// booted with psi=0): create() then fails with ENOTSUP and says so.
class PsiReader {
 public:
  static Result<std::unique_ptr<PsiReader>> create(const SysRoot& root, PsiResource resource);
  // `cgroup` is relative to the cgroup2 mount ("qeil/w1"); empty for the root group.
  static Result<std::unique_ptr<PsiReader>> createForCgroup(const SysRoot& root,
                                                            const std::string& cgroup,
                                                            PsiResource resource);

  // Never allocates.
  Status read(PsiStats* out);
  const std::string& path() const { return file_.path(); }
  PsiResource resource() const { return resource_; }

 private:
  explicit PsiReader(PsiResource resource) : resource_(resource) {}
  static Result<std::unique_ptr<PsiReader>> openPath(std::string path, PsiResource resource);

  PsiResource resource_;
  SysfsFile file_;
};

}  // namespace qeil
