#include "hal/linux/cpu_online.h"

#include <cerrno>

namespace qeil {
namespace {

// "0-7" fits easily; a long list of single CPUs still fits for 64 CPUs.
constexpr size_t kListBytes = 256;

// A CPU list file ("0-3,6"); an empty one is an error (cpu0 at least is always there).
Result<CpuSet> parseList(const char* text, const char* where) {
  if (*text == '\0') return Error::make(ENODATA, "%s: empty", where);
  return CpuSet::parse(text, where);
}

Result<CpuSet> readListFile(const std::string& path) {
  char text[kListBytes];
  Result<size_t> r = readTextFile(path, text, sizeof text);
  if (!r.ok()) return r.error();
  return parseList(text, path.c_str());
}

}  // namespace

Result<std::unique_ptr<CpuOnline>> CpuOnline::create(const SysRoot& root) {
  std::unique_ptr<CpuOnline> cpus(new CpuOnline(root.path(syspath::kCpu)));
  Status st = cpus->load();
  if (!st.ok()) return st.error();
  return cpus;
}

Status CpuOnline::load() {
  Result<CpuSet> possible = readListFile(dir_ + "/possible");
  if (!possible.ok()) return possible.error();
  Result<CpuSet> present = readListFile(dir_ + "/present");
  if (!present.ok()) return present.error();
  if ((present.value().bits() & ~possible.value().bits()) != 0) {
    return Error::make(EINVAL, "%s/present: CPUs outside the possible ones", dir_.c_str());
  }
  possible_ = possible.value();
  present_ = present.value();
  Status st = online_.open(dir_ + "/online");
  if (!st.ok()) return st;
  Result<CpuSet> online = readOnline();
  if (!online.ok()) return online.error();
  cpuOnline_.resize(CpuSet::kMaxCpus);
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    std::string path = dir_ + "/cpu" + std::to_string(c) + "/online";
    if (!present_.contains(c) || !pathExists(path)) continue;
    st = cpuOnline_[static_cast<size_t>(c)].open(path);
    if (!st.ok()) return st;
    hotpluggable_.add(c);
  }
  return {};
}

Result<CpuSet> CpuOnline::readOnline() {
  char text[kListBytes];
  Result<size_t> r = online_.readText(text, sizeof text);
  if (!r.ok()) return r.error();
  return parseList(text, online_.path().c_str());
}

Result<bool> CpuOnline::isOnline(int cpu) {
  if (!present_.contains(cpu)) {
    return Error::make(EINVAL, "%s: cpu%d is not present", dir_.c_str(), cpu);
  }
  if (!hotpluggable_.contains(cpu)) return true;
  SysfsFile& file = cpuOnline_[static_cast<size_t>(cpu)];
  Result<int64_t> v = file.readInt();
  if (!v.ok()) return v.error();
  if (v.value() != 0 && v.value() != 1) {
    return Error::make(EINVAL, "%s: not 0 or 1: '%lld'", file.path().c_str(),
                       static_cast<long long>(v.value()));
  }
  return v.value() == 1;
}

}  // namespace qeil
