#include "hal/result.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace qeil {

Error Error::make(int errnum, const char* fmt, ...) {
  Error e;
  e.errnum_ = errnum;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.message_, sizeof e.message_, fmt, ap);
  va_end(ap);
  return e;
}

Error& Error::prefix(const char* fmt, ...) {
  char head[kMessageBytes];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(head, sizeof head - 2, fmt, ap);
  va_end(ap);
  if (n < 0) return *this;
  size_t headLen = strlen(head);
  memcpy(head + headLen, ": ", 3);
  headLen += 2;
  size_t keep = strnlen(message_, sizeof message_);
  if (headLen + keep >= sizeof message_) keep = sizeof message_ - 1 - headLen;
  memmove(message_ + headLen, message_, keep);
  memcpy(message_, head, headLen);
  message_[headLen + keep] = '\0';
  return *this;
}

}  // namespace qeil
