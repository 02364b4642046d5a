#pragma once

// Writing the control API's JSON bodies (RapidJSON), shared by the route files.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "agent/api.h"

namespace qeil {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void key(JsonWriter& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

// A number, or null when it is not a measurement.
inline void keyNumber(JsonWriter& w, const char* k, double v, bool valid = true) {
  w.Key(k);
  if (valid && std::isfinite(v)) {
    w.Double(v);
  } else {
    w.Null();
  }
}

inline ApiResponse jsonResponse(const rapidjson::StringBuffer& buf, int status = 200) {
  ApiResponse r;
  r.status = status;
  r.body.assign(buf.GetString(), buf.GetSize());
  return r;
}

// An integer field in lo..hi; false with *err naming it otherwise.
inline bool intRange(const rapidjson::Value& v, const char* name, int lo, int hi, int* out,
                     std::string* err) {
  if (!v.IsInt() || v.GetInt() < lo || v.GetInt() > hi) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: must be an integer from %d to %d", name, lo, hi);
    *err = msg;
    return false;
  }
  *out = v.GetInt();
  return true;
}

// 405 for a known path and another method, with the Allow header.
inline ApiResponse methodNotAllowed(const char* method, const char* path, const char* allow) {
  char msg[384];
  snprintf(msg, sizeof msg, "%.16s %.255s: method not allowed (allowed: %.32s)", method, path,
           allow);
  ApiResponse r = apiError(405, msg);
  r.allow = allow;
  return r;
}

}  // namespace qeil
