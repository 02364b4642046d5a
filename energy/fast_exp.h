#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace qeil::energy {

namespace detail {

// 2^(j/32), j = 0..31, correctly rounded (computed with 200-bit arithmetic).
inline constexpr double kExp2By32[32] = {
    0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
    0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
    0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
    0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
    0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
    0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
    0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
    0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
};

}  // namespace detail

// e^x for the energy model's hot paths (MODEL.md §5 leakage and the zone transient): inlined,
// no call and one predictable branch, about half the instructions of a libm call. Relative
// error below 3e-16, about one ulp, over [-708, 709] (pinned by
// tests/unit/energy/fast_exp_test.cpp); outside that range, and for NaN, it defers to std::exp.
//
// Method (Cody-Waite reduction, table of 2^(j/32)): x = n ln2/32 + r with n = round(32 x / ln2)
// and |r| <= ln2/64; n = 32 m + j, so e^x = 2^m * 2^(j/32) * e^r. ln2/32 is split into a 37-bit
// head (n times it is exact for |n| < 2^16) and a tail, so r is accurate to the last bits. e^r
// is its Taylor polynomial of degree 6: the truncation error r^7/7! is below 4e-18.
inline double fastExp(double x) {
  if (!(x >= -708.0 && x <= 709.0)) return std::exp(x);  // subnormal, overflow, NaN
  constexpr double kThirtyTwoByLn2 = 0x1.71547652b82fep+5;
  constexpr double kLn2By32Head = 0x1.62e42fefa0000p-6;
  constexpr double kLn2By32Tail = 0x1.cf79abc9e3b3ap-45;
  // Adding 1.5 * 2^52 rounds to the nearest integer (round-to-nearest, |value| < 2^51).
  constexpr double kRoundShift = 0x1.8p52;
  const double n = (x * kThirtyTwoByLn2 + kRoundShift) - kRoundShift;
  const double r = (x - n * kLn2By32Head) - n * kLn2By32Tail;
  const int64_t ni = static_cast<int64_t>(n);  // |n| <= 32736: exact
  const int64_t j = ni & 31;
  const int64_t m = (ni - j) / 32;  // exact: ni - j is a multiple of 32
  // e^r - 1 = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120 + r^4/720), the bracket in Estrin's form
  // (shorter dependency chains than Horner's); adding it to 1 last, times the table entry,
  // keeps the rounding small.
  const double r2 = r * r;
  const double tail =
      r2 * ((1.0 / 2 + r * (1.0 / 6)) + r2 * ((1.0 / 24 + r * (1.0 / 120)) + r2 * (1.0 / 720)));
  const double t = detail::kExp2By32[j];
  const uint64_t scaleBits = static_cast<uint64_t>(m + 1023) << 52;  // m in [-1022, 1022]
  double scale;
  std::memcpy(&scale, &scaleBits, sizeof scale);
  return scale * (t + t * (r + tail));
}

}  // namespace qeil::energy
