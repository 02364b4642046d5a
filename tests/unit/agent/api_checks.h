#pragma once

// Checks of the control API's answers, shared by the handler tests.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "agent/api.h"

namespace qeil::test {

// The body as JSON (a test failure when it is not).
inline rapidjson::Document parse(const ApiResponse& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  EXPECT_FALSE(d.HasParseError()) << r.body;
  return d;
}

// A JSON error {"error": {"code": status, "message": "...inMessage..."}} with that status.
inline void expectError(const ApiResponse& r, int status, const char* inMessage) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_STREQ(r.contentType, "application/json");
  rapidjson::Document d = parse(r);
  ASSERT_TRUE(d.IsObject() && d.HasMember("error") && d["error"].IsObject()) << r.body;
  EXPECT_EQ(d["error"]["code"].GetInt(), status);
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find(inMessage), std::string::npos)
      << r.body;
}

}  // namespace qeil::test
