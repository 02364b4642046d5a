#include "hal/linux/i2c_dev_bus.h"

#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

// libi2c 4.3 declares its functions without an extern "C" guard.
extern "C" {
#include <i2c/smbus.h>
}

namespace qeil {
namespace {

constexpr unsigned long kWordFuncs = I2C_FUNC_SMBUS_READ_WORD_DATA | I2C_FUNC_SMBUS_WRITE_WORD_DATA;

const char* nackHint(int err) {
  return err == ENXIO || err == EREMOTEIO ? " (NACK: nothing answered at this address)" : "";
}

// Checks that an open node is an i2c-dev adapter that can move SMBus words.
Status checkAdapter(int fd, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return Error::make(errno, "%s: fstat: %s", path.c_str(), strerror(errno));
  }
  if (!S_ISCHR(st.st_mode)) {
    return Error::make(ENOTTY, "%s: not a character device, so not an i2c-dev adapter",
                       path.c_str());
  }
  unsigned long funcs = 0;
  if (ioctl(fd, I2C_FUNCS, &funcs) != 0) {
    int err = errno;
    return Error::make(err, "%s: ioctl(I2C_FUNCS): %s: not an i2c-dev adapter", path.c_str(),
                       strerror(err));
  }
  if ((funcs & kWordFuncs) != kWordFuncs) {
    return Error::make(EOPNOTSUPP, "%s: adapter cannot do SMBus word transfers (funcs 0x%lx)",
                       path.c_str(), funcs);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<I2cDevBus>> I2cDevBus::open(const SysRoot& root, int busNumber) {
  if (busNumber < 0) return Error::make(EINVAL, "i2c bus number %d is negative", busNumber);
  std::string path = root.path(std::string(syspath::kDev) + "/i2c-" + std::to_string(busNumber));
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    const char* hint = err == ENOENT ? " (no such adapter, or i2c-dev not loaded)" : "";
    return Error::make(err, "%s: open: %s%s", path.c_str(), strerror(err), hint);
  }
  Status ok = checkAdapter(fd, path);
  if (!ok.ok()) {
    ::close(fd);
    return ok.error();
  }
  return std::unique_ptr<I2cDevBus>(new I2cDevBus(fd, busNumber));
}

I2cDevBus::I2cDevBus(int fd, int busNumber) : fd_(fd) {
  snprintf(name_, sizeof name_, "%s/i2c-%d", syspath::kDev, busNumber);
}

I2cDevBus::~I2cDevBus() {
  ::close(fd_);
}

Status I2cDevBus::selectSlave(uint8_t addr7) {
  if (selectedAddr_ == addr7) return {};
  if (addr7 > 0x7f) return Error::make(EINVAL, "%s: address 0x%02x is not 7-bit", name_, addr7);
  if (ioctl(fd_, I2C_SLAVE, static_cast<unsigned long>(addr7)) != 0) {
    int err = errno;
    selectedAddr_ = -1;
    if (err == EBUSY) {
      return Error::make(EBUSY,
                         "%s 0x%02x: a kernel driver owns this chip; read it through the hwmon "
                         "backend instead (or unbind the driver)",
                         name_, addr7);
    }
    return Error::make(err, "%s 0x%02x: ioctl(I2C_SLAVE): %s", name_, addr7, strerror(err));
  }
  selectedAddr_ = addr7;
  return {};
}

Error I2cDevBus::transferError(int err, uint8_t addr7, const char* op, uint8_t command) const {
  return Error::make(err, "%s 0x%02x: %s 0x%02x: %s%s", name_, addr7, op, command, strerror(err),
                     nackHint(err));
}

Result<uint16_t> I2cDevBus::readWordData(uint8_t addr7, uint8_t command) {
  Status sel = selectSlave(addr7);
  if (!sel.ok()) return sel.error();
  // libi2c returns the word, or -errno.
  __s32 r = i2c_smbus_read_word_data(fd_, command);
  if (r < 0) return transferError(-r, addr7, "read word", command);
  return static_cast<uint16_t>(r);
}

Status I2cDevBus::writeWordData(uint8_t addr7, uint8_t command, uint16_t value) {
  Status sel = selectSlave(addr7);
  if (!sel.ok()) return sel;
  __s32 r = i2c_smbus_write_word_data(fd_, command, value);
  if (r < 0) return transferError(-r, addr7, "write word", command);
  return {};
}

}  // namespace qeil
