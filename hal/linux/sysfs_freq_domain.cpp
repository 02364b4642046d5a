#include "hal/linux/sysfs_freq_domain.h"

#include <cerrno>
#include <cstdio>

#include "hal/linux/sysfs_util.h"

namespace qeil {

Status SysfsFreqDomain::openControls() {
  Status st = cur_.open(dir_ + "/" + files_.cur);
  if (st.ok()) st = min_.open(dir_ + "/" + files_.min);
  if (st.ok()) st = max_.open(dir_ + "/" + files_.max);
  if (st.ok()) st = governor_.open(dir_ + "/" + files_.governor);
  return st;
}

Reading SysfsFreqDomain::readCurHz() {
  Reading r{lastHz_, false, clock_.nowNs()};
  Result<uint64_t> hz = readFreqHz(cur_, files_.unitHz);
  if (!hz.ok()) {
    lastError_ = hz.error();
    return r;
  }
  lastHz_ = static_cast<double>(hz.value());
  r.value = lastHz_;
  r.valid = true;
  return r;
}

Result<uint64_t> SysfsFreqDomain::minLimitHz() {
  return readFreqHz(min_, files_.unitHz);
}

Result<uint64_t> SysfsFreqDomain::maxLimitHz() {
  return readFreqHz(max_, files_.unitHz);
}

Status SysfsFreqDomain::setLimit(const char* file, uint64_t hz) {
  Status st = checkHwRange(name_.c_str(), hz, hwMinHz(), hwMaxHz());
  if (!st.ok()) return st;
  char text[24];
  snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(hz / files_.unitHz));
  return journal_.write(dir_ + "/" + file, text);
}

Status SysfsFreqDomain::setMinLimitHz(uint64_t hz) {
  return setLimit(files_.min, hz);
}

Status SysfsFreqDomain::setMaxLimitHz(uint64_t hz) {
  return setLimit(files_.max, hz);
}

Status SysfsFreqDomain::governor(char* buf, size_t cap) {
  char text[64];
  Result<size_t> r = governor_.readText(text, sizeof text);
  if (!r.ok()) return r.error();
  if (r.value() == 0) return Error::make(ENODATA, "%s: empty", governor_.path().c_str());
  return copyText(buf, cap, text, governor_.path().c_str());
}

Status SysfsFreqDomain::setGovernor(const char* name) {
  Status st = checkGovernor(name_.c_str(), dir_ + "/" + files_.availableGovernors, name);
  if (!st.ok()) return st;
  return journal_.write(dir_ + "/" + files_.governor, name);
}

}  // namespace qeil
