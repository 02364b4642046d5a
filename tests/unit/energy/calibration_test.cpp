// MODEL.md §7 online calibration: each fit recovers known coefficients from synthetic
// measurements (seeded), holds the board values until confident, and rejects bad input.
#include "energy/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "energy/power.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/synthetic_rail.h"

namespace qeil::energy {
namespace {

using synthetic::device;
using synthetic::Ina226;
using synthetic::JetsonRail;
using synthetic::quantise;
using synthetic::RailErrors;
using synthetic::relErr;
using synthetic::Workload;

bool contains(const Status& st, const char* words) {
  return !st.ok() && std::strstr(st.error().message(), words) != nullptr;
}

// Power the model does not see (other consumers, errors in the reported activity).
class Unmodelled {
 public:
  Unmodelled(double sigmaW, uint64_t seed) : rng_(seed), gauss_(0.0, sigmaW) {}
  double operator()() { return gauss_(rng_); }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> gauss_;
};

void record(const char* key, double value) {
  ::testing::Test::RecordProperty(key, std::to_string(value));
}

class RailFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int devices[2] = {0, 1};
    ASSERT_TRUE(fit_.init(rail_.board, devices, 2, RailFitConfig{}).ok());
  }
  // One sample of `soc`'s operation measured through the INA226.
  Status step(Workload& load) {
    const auto s = load.next(rail_.board);
    return fit_.update(ina_.powerW(rail_.powerW(s)), s.data(), 2);
  }
  bool allConfident() const {
    return fit_.dynCoeffConfident(0) && fit_.dynCoeffConfident(1) && fit_.leakageConfident(0) &&
           fit_.leakageConfident(1) && fit_.idleConfident();
  }

  JetsonRail rail_;
  RailFit fit_;
  Ina226 ina_{11};
};

TEST_F(RailFitTest, RecoversBothDevicesOnAJointRailWithin2Percent) {
  // 3000 samples of varied operation; from sample 1000 on (ten forgetting windows) every
  // coefficient must stay within 2 % of the truth, although the board was 20-60 % off. The
  // power is what an INA226 reports (noise and LSBs: about 0.7 mW rms at 5 V).
  Workload load(1);
  RailErrors errors;
  for (int k = 0; k < 3000; ++k) {
    ASSERT_TRUE(step(load).ok());
    if (k >= 1000) errors.take(fit_, rail_);
  }
  record("max_rel_err_cpu_dyn", errors.cpuDyn);
  record("max_rel_err_cpu_leak", errors.cpuLeak);
  record("max_rel_err_gpu_dyn", errors.gpuDyn);
  record("max_rel_err_gpu_leak", errors.gpuLeak);
  record("max_rel_err_idle", errors.idle);
  EXPECT_LT(errors.max(), 0.02);
  // Confident, so the accessors report the fit (in the board's units and law).
  ASSERT_TRUE(allConfident());
  EXPECT_NEAR(fit_.dynCoeff(0), 260, 0.02 * 260);
  EXPECT_NEAR(fit_.dynCoeff(1), 1100, 0.02 * 1100);
  EXPECT_NEAR(fit_.leakage(0).refW, 0.25, 0.02 * 0.25);
  EXPECT_EQ(fit_.leakage(0).lambdaPerK, 0.03);  // the board's law, scaled
  EXPECT_EQ(fit_.leakage(1).refVoltV, 0.75);
  EXPECT_NEAR(fit_.idleW(), 0.45, 0.02 * 0.45);
  // The rail constant is shared by the board's idle shares, 0.3 : 0.3.
  EXPECT_NEAR(fit_.deviceIdleW(0), fit_.idleW() / 2, 1e-12);
}

TEST_F(RailFitTest, TracksAStepChangeWithinABoundedNumberOfSamples) {
  // After 2000 samples the CPU's dynamic coefficient rises 30 %, the GPU's leakage falls 30 %
  // and the rail constant gains 0.2 W (+44 %). With lambda = 0.99 the old data weigh 0.99^n;
  // were every direction excited alike in old and new data, the bias left would be 0.99^n times
  // the step, under 2 % of a 44 % step for n > 310. The leakage-versus-constant direction rests
  // on temperature, which moves slowly, so it lags (about 540 samples here): allow 800 for the
  // raw fit and 1000 for the held (confident) values.
  Workload load(2);
  for (int k = 0; k < 2000; ++k)
    ASSERT_TRUE(step(load).ok());
  ASSERT_TRUE(allConfident());
  rail_.truth.devices[0].dynCoeff *= 1.3;
  rail_.truth.devices[1].leakage.refW *= 0.7;
  rail_.idleW += 0.2;
  int rawBack = -1;
  int heldBack = -1;
  for (int k = 0; k < 2000; ++k) {
    ASSERT_TRUE(step(load).ok());
    RailErrors e;
    e.take(fit_, rail_);
    if (e.max() >= 0.02) {
      rawBack = -1;
    } else if (rawBack < 0) {
      rawBack = k;
    }
    const bool held = relErr(fit_.dynCoeff(0), rail_.truth.devices[0].dynCoeff) < 0.02 &&
                      relErr(fit_.leakage(1).refW, rail_.truth.devices[1].leakage.refW) < 0.02 &&
                      relErr(fit_.idleW(), rail_.idleW) < 0.02;
    if (!held) {
      heldBack = -1;
    } else if (heldBack < 0) {
      heldBack = k;
    }
  }
  record("step_samples_raw_within_2pct", rawBack);
  record("step_samples_held_within_2pct", heldBack);
  EXPECT_GE(rawBack, 0);
  EXPECT_LE(rawBack, 800);
  EXPECT_GE(heldBack, 0);
  EXPECT_LE(heldBack, 1000);
}

TEST_F(RailFitTest, WithoutExcitationTheBoardValuesHold) {
  // Constant OPP, cores, activity and temperature: only one combination of the five
  // coefficients is observable, so none can be confident and the board values hold. Then
  // varied operation makes every one confident.
  std::array<RailDeviceSample, 2> s;
  s[0] = {{1.11e9, 0.68}, 4, 0.6, 50.0, true};
  s[1] = {{0.51e9, 0.68}, 8, 0.8, 50.0, true};
  for (int k = 0; k < 2000; ++k) {
    const double p = ina_.powerW(rail_.powerW(s));
    ASSERT_TRUE(fit_.update(p, s.data(), 2).ok());
    ASSERT_FALSE(fit_.dynCoeffConfident(0) || fit_.dynCoeffConfident(1) ||
                 fit_.leakageConfident(0) || fit_.leakageConfident(1) || fit_.idleConfident())
        << "sample " << k;
  }
  // The fit explains the constant power exactly, yet the accessors give the board file's.
  const double predicted = fit_.rls().theta(0) * dynamicPowerW(1, s[0].opp, 4, 0.6) +
                           fit_.rls().theta(2) * dynamicPowerW(1, s[1].opp, 8, 0.8);
  EXPECT_GT(std::fabs(predicted), 0.0);
  EXPECT_EQ(fit_.dynCoeff(0), 200);
  EXPECT_EQ(fit_.dynCoeff(1), 1500);
  EXPECT_EQ(fit_.leakage(0).refW, 0.40);
  EXPECT_EQ(fit_.leakage(1).refW, 0.20);
  EXPECT_EQ(fit_.idleW(), 0.6);
  Workload load(3);
  int confidentAt = -1;
  for (int k = 0; k < 2000 && confidentAt < 0; ++k) {
    ASSERT_TRUE(step(load).ok());
    if (allConfident()) confidentAt = k;
  }
  record("samples_to_confidence_after_excitation", confidentAt);
  // The sample count is long past the minimum: a few OPP changes (10 samples each) suffice.
  EXPECT_GE(confidentAt, 0);
  EXPECT_LE(confidentAt, 200);
}

TEST(RailFit, SeparatesTwoDevicesWithTheSameOppTableAndZone) {
  // The hardest joint case: both devices share one OPP table and one temperature, and the
  // board's coefficients are swapped (each device's prior is the other's truth). Only their
  // independent OPP choices and activities tell them apart; leakage differs only through V.
  JetsonRail rail;
  for (size_t d = 0; d < 2; ++d) {
    for (auto* soc : {&rail.truth, &rail.board}) {
      soc->devices[d].opps = rail.truth.devices[0].opps;
      soc->devices[d].cores = 6;
      soc->devices[d].leakage.refVoltV = 0.8;
      soc->devices[d].leakage.lambdaPerK = 0.03;
    }
  }
  rail.truth.devices[1].dynCoeff = 500;
  rail.board.devices[0].dynCoeff = 500;
  rail.board.devices[1].dynCoeff = 260;
  rail.board.devices[0].leakage.refW = 0.35;
  rail.board.devices[1].leakage.refW = 0.25;
  RailFit fit;
  const int devices[2] = {0, 1};
  ASSERT_TRUE(fit.init(rail.board, devices, 2, RailFitConfig{}).ok());
  Workload load(4);
  Ina226 ina(41);
  RailErrors errors;
  for (int k = 0; k < 4000; ++k) {
    auto s = load.next(rail.board);
    s[1].tempC = s[0].tempC;  // one zone
    ASSERT_TRUE(fit.update(ina.powerW(rail.powerW(s)), s.data(), 2).ok());
    if (k >= 2000) errors.take(fit, rail);
  }
  record("same_table_max_rel_err_cpu_dyn", errors.cpuDyn);
  record("same_table_max_rel_err_cpu_leak", errors.cpuLeak);
  record("same_table_max_rel_err_gpu_dyn", errors.gpuDyn);
  record("same_table_max_rel_err_gpu_leak", errors.gpuLeak);
  record("same_table_max_rel_err_idle", errors.idle);
  EXPECT_LT(errors.max(), 0.02);
}

TEST(RailFit, StandardErrorsCoverTheErrorUnderUnmodelledLoad) {
  // 10 mW rms of power the model does not see (other consumers, activity estimates) is 14 times
  // the INA226's noise. Leakage and the rail constant are then known to only a few % within a
  // 100-sample window (they are told apart by temperature and voltage alone), so 2 % is out of
  // reach at lambda = 0.99. What must hold: the reported standard errors cover the actual error
  // (within 3 SE at every check), and the well-excited dynamic terms still meet 2 %.
  JetsonRail rail;
  RailFit fit;
  const int devices[2] = {0, 1};
  ASSERT_TRUE(fit.init(rail.board, devices, 2, RailFitConfig{}).ok());
  Workload load(8);
  Ina226 ina(81);
  Unmodelled unmodelled(0.010, 82);
  const double truth[5] = {260, 0.25, 1100, 0.35, 0.45};
  double worstZ = 0.0;
  RailErrors errors;
  for (int k = 0; k < 4000; ++k) {
    const auto s = load.next(rail.board);
    ASSERT_TRUE(fit.update(ina.powerW(rail.powerW(s) + unmodelled()), s.data(), 2).ok());
    if (k < 500 || k % 25 != 0) continue;
    errors.take(fit, rail);
    for (size_t i = 0; i < 5; ++i) {
      const double z = std::fabs(fit.rls().theta(i) - truth[i]) / fit.rls().standardError(i);
      worstZ = std::max(worstZ, z);
    }
  }
  record("unmodelled_worst_err_over_se", worstZ);
  record("unmodelled_max_rel_err_cpu_leak", errors.cpuLeak);
  record("unmodelled_max_rel_err_gpu_leak", errors.gpuLeak);
  record("unmodelled_max_rel_err_idle", errors.idle);
  record("unmodelled_max_rel_err_dyn", std::max(errors.cpuDyn, errors.gpuDyn));
  EXPECT_LT(worstZ, 3.0);
  EXPECT_LT(std::max(errors.cpuDyn, errors.gpuDyn), 0.02) << "dynamic terms stay well excited";
}

TEST(RailFit, AFitFarFromTheBoardValueIsNotTaken) {
  // 3 W on the rail that no device's regressor explains (DRAM traffic on a board's input rail):
  // the RLS constant learns it (about 3.45 W), but that is more than maxRatioToBoard times the
  // board's rail idle, so the held idle stays the last plausible value; the well-excited dynamic
  // terms are still taken.
  JetsonRail rail;
  RailFit fit;
  const int devices[2] = {0, 1};
  RailFitConfig config;
  ASSERT_TRUE(fit.init(rail.board, devices, 2, config).ok());
  const double boardIdleW = fit.idleW();
  Workload load(5);
  for (int k = 0; k < 2000; ++k) {
    const auto s = load.next(rail.board);
    ASSERT_TRUE(fit.update(rail.powerW(s) + 3.0, s.data(), 2).ok());
  }
  const double fittedIdleW = fit.rls().theta(4);
  ASSERT_GT(fittedIdleW, boardIdleW * config.maxRatioToBoard) << "the test's premise";
  EXPECT_LE(fit.idleW(), boardIdleW * config.maxRatioToBoard);
  EXPECT_NEAR(fit.dynCoeff(0), 260, 0.02 * 260);
  EXPECT_NEAR(fit.dynCoeff(1), 1100, 0.02 * 1100);
}

TEST(RailFit, AGatedAcceleratorNeitherSwitchesNorLeaks) {
  // The GPU is power-gated half of the time: its true power is then zero. Fed `powered =
  // false`, the fit must still recover the GPU's leakage (within 2 %) instead of averaging it
  // with the gated samples.
  JetsonRail rail;
  RailFit fit;
  const int devices[2] = {0, 1};
  ASSERT_TRUE(fit.init(rail.board, devices, 2, RailFitConfig{}).ok());
  Workload load(5);
  Ina226 ina(51);
  RailErrors errors;
  for (int k = 0; k < 3000; ++k) {
    auto s = load.next(rail.board);
    s[1].powered = (k / 50) % 2 == 0;
    double p = rail.powerW(s);
    if (!s[1].powered) {
      p -= dynamicPowerW(1100, s[1].opp, s[1].activeCores, s[1].activity);
      p -= leakagePowerW(rail.truth.devices[1].leakage, s[1].opp.voltV, s[1].tempC);
    }
    ASSERT_TRUE(fit.update(ina.powerW(p), s.data(), 2).ok());
    if (k >= 1500) errors.take(fit, rail);
  }
  EXPECT_LT(errors.max(), 0.02);
}

TEST_F(RailFitTest, RejectsBadInputWithoutCorruptingTheFit) {
  // A twin fed only the good samples must end bit-identical to the fit that also saw (and
  // rejected) the bad ones.
  RailFit twin;
  const int devices[2] = {0, 1};
  ASSERT_TRUE(twin.init(rail_.board, devices, 2, RailFitConfig{}).ok());
  Workload load(6);
  for (int k = 0; k < 300; ++k) {
    const auto s = load.next(rail_.board);
    const double p = ina_.powerW(rail_.powerW(s));
    ASSERT_TRUE(fit_.update(p, s.data(), 2).ok());
    ASSERT_TRUE(twin.update(p, s.data(), 2).ok());
    if (k % 50 != 7) continue;
    EXPECT_TRUE(contains(fit_.update(NAN, s.data(), 2), "rail power not finite"));
    EXPECT_TRUE(contains(fit_.update(INFINITY, s.data(), 2), "rail power not finite"));
    EXPECT_TRUE(contains(fit_.update(-0.5, s.data(), 2), "rail power -0.5 W is negative"));
    EXPECT_TRUE(contains(fit_.update(p, s.data(), 1), "1 devices, the rail 2"));
    auto bad = s;
    bad[1].activity = 1.2;
    EXPECT_TRUE(contains(fit_.update(p, bad.data(), 2), "'gpu' activity 1.2 not in [0, 1]"));
    bad = s;
    bad[0].activeCores = 7;
    EXPECT_TRUE(contains(fit_.update(p, bad.data(), 2), "'cpu' active cores 7 not in [0, 6]"));
    bad = s;
    bad[0].tempC = NAN;
    EXPECT_TRUE(contains(fit_.update(p, bad.data(), 2), "'cpu': temperature nan C"));
    bad = s;
    bad[1].opp.voltV = 0.0;
    EXPECT_TRUE(contains(fit_.update(p, bad.data(), 2), "'gpu' OPP"));
  }
  EXPECT_EQ(fit_.rls().samples(), 300u);
  for (size_t i = 0; i < fit_.rls().dim(); ++i) {
    EXPECT_EQ(fit_.rls().theta(i), twin.rls().theta(i)) << i;
    EXPECT_EQ(fit_.rls().standardError(i), twin.rls().standardError(i)) << i;
  }
}

TEST(RailFit, InitRejectsBadRails) {
  JetsonRail rail;
  RailFit fit;
  const int twice[2] = {1, 1};
  EXPECT_TRUE(contains(fit.init(rail.board, twice, 2, RailFitConfig{}), "twice"));
  const int missing[1] = {5};
  EXPECT_TRUE(contains(fit.init(rail.board, missing, 1, RailFitConfig{}), "out of range"));
  EXPECT_FALSE(fit.init(rail.board, missing, 0, RailFitConfig{}).ok());
  RailDeviceSample s;
  EXPECT_TRUE(contains(fit.update(1.0, &s, 1), "before init"));
}

// The usual RK3588 rig measures all five devices on one 5 V input: a rail holds up to
// kMaxRailDevices, whose 2n + 1 terms fit one RLS.
TEST(RailFit, HoldsAsManyDevicesAsTheLargestBoardRail) {
  JetsonRail rail;
  SocSpec soc;
  int devices[kMaxRailDevices + 1];
  for (size_t d = 0; d <= kMaxRailDevices; ++d) {
    soc.devices.push_back(rail.board.devices[d % 2]);
    std::snprintf(soc.devices.back().name, sizeof soc.devices.back().name, "dev%zu", d);
    devices[d] = static_cast<int>(d);
  }
  RailFit fit;
  ASSERT_TRUE(fit.init(soc, devices, kMaxRailDevices, RailFitConfig{}).ok());
  EXPECT_EQ(fit.deviceCount(), kMaxRailDevices);
  std::array<RailDeviceSample, kMaxRailDevices> samples;
  for (RailDeviceSample& s : samples) {
    s.opp = soc.devices[0].opps[0];
    s.activeCores = 1.0;
    s.activity = 0.5;
  }
  EXPECT_TRUE(fit.update(3.0, samples.data(), samples.size()).ok());
  EXPECT_TRUE(contains(fit.init(soc, devices, kMaxRailDevices + 1, RailFitConfig{}), "devices"));
}

// ---- ThermalFit ----

// A zone with R = 2.5 K/W and C = 20 J/K (tau 50 s), sampled every second: power steps between
// 0.5 and 6 W held 5..60 s, ambient drifting slowly around 25 C, the sensor adding 0.05 K of
// noise and reporting millidegrees. Temperatures follow the exact zero-order-hold solution.
class RcZone {
 public:
  RcZone(double rThKPerW, double cThJPerK, uint64_t seed)
      : a_(std::exp(-1.0 / (rThKPerW * cThJPerK))), b_(rThKPerW * (1 - a_)), rng_(seed) {}
  // The next sample: measured temperature, the power held until the next one, the ambient.
  void next(double* tempC, double* powerW, double* ambientC) {
    if (hold_-- <= 0) {
      powerW_ = std::uniform_real_distribution<double>(0.5, 6.0)(rng_);
      hold_ = std::uniform_int_distribution<int>(5, 60)(rng_);
    }
    const double ambient = 25.0 + 2.0 * std::sin(k_++ / 2000.0);
    *tempC = quantise(tempC_ + noise_(rng_), 0.001);
    *powerW = powerW_;
    *ambientC = ambient;
    tempC_ = ambient + a_ * (tempC_ - ambient) + b_ * powerW_;
  }

 private:
  double a_, b_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> noise_{0.0, 0.05};
  double tempC_ = 25.0;
  double powerW_ = 0.0;
  int hold_ = 0;
  long k_ = 0;
};

ZoneSpec boardZone() {
  ZoneSpec z;
  std::snprintf(z.name, sizeof z.name, "soc");
  z.rThKPerW = 4.0;
  z.cThJPerK = 10.0;
  return z;
}

TEST(ThermalFit, RecoversRAndCWithinAFewPercent) {
  // The board says R = 4 K/W, C = 10 J/K; the zone has 2.5 and 20. After 3000 s of varied load
  // both must be within 3 % (from sample 1500 on) and confident.
  ThermalFit fit;
  ASSERT_TRUE(fit.init(boardZone(), 1.0, ThermalFitConfig{}).ok());
  RcZone zone(2.5, 20.0, 21);
  double maxR = 0.0;
  double maxC = 0.0;
  int confidentAt = -1;
  for (int k = 0; k < 3000; ++k) {
    double t, p, amb;
    zone.next(&t, &p, &amb);
    ASSERT_TRUE(fit.update(t, p, amb).ok());
    if (confidentAt < 0 && fit.confident()) confidentAt = k;
    if (k >= 1500) {
      maxR = std::max(maxR, relErr(fit.fittedRThKPerW(), 2.5));
      maxC = std::max(maxC, relErr(fit.fittedCThJPerK(), 20.0));
    }
  }
  record("thermal_max_rel_err_r", maxR);
  record("thermal_max_rel_err_c", maxC);
  record("thermal_samples_to_confidence", confidentAt);
  EXPECT_LT(maxR, 0.03);
  EXPECT_LT(maxC, 0.03);
  ASSERT_TRUE(fit.confident());
  EXPECT_NEAR(fit.rThKPerW(), 2.5, 0.03 * 2.5);
  EXPECT_NEAR(fit.cThJPerK(), 20.0, 0.03 * 20.0);
}

TEST(ThermalFit, ConstantPowerAtSteadyStateIsNotEnough) {
  // T stays at T_amb + R P: T[k] - T_amb and P are proportional, so a and b cannot be told
  // apart and the board values hold.
  ThermalFit fit;
  ASSERT_TRUE(fit.init(boardZone(), 1.0, ThermalFitConfig{}).ok());
  std::mt19937_64 rng(22);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (int k = 0; k < 2000; ++k)
    ASSERT_TRUE(fit.update(35.0 + noise(rng), 4.0, 25.0).ok());
  EXPECT_FALSE(fit.confident());
  EXPECT_EQ(fit.rThKPerW(), 4.0);
  EXPECT_EQ(fit.cThJPerK(), 10.0);
}

TEST(ThermalFit, RejectsUnphysicalFits) {
  // Data no RC node produces: (1) a zone that cools when heated (b < 0), (2) one whose excess
  // temperature grows by itself (a = 1.01; 400 s take it from 1 to about 60 K). Both are
  // fitted well (clean data), neither is physical, and the board values hold.
  for (int kind = 0; kind < 2; ++kind) {
    ThermalFit fit;
    ASSERT_TRUE(fit.init(boardZone(), 1.0, ThermalFitConfig{}).ok());
    std::mt19937_64 rng(23);
    double excess = 1.0;
    for (int k = 0; k < 400; ++k) {
      const double p = std::uniform_real_distribution<double>(0.5, 6.0)(rng);
      ASSERT_TRUE(fit.update(25.0 + excess, p, 25.0).ok());
      excess = kind == 0 ? 0.95 * excess - 0.05 * p : 1.01 * excess + 0.001 * p;
    }
    EXPECT_FALSE(fit.physical()) << kind;
    EXPECT_FALSE(fit.confident()) << kind;
    EXPECT_EQ(fit.rThKPerW(), 4.0) << kind;
    EXPECT_EQ(fit.cThJPerK(), 10.0) << kind;
  }
}

TEST(ThermalFit, BadInputIsRejectedAndBreaksThePairing) {
  // A rejected sample must not pair its neighbours across two periods: after it, the next good
  // sample only starts a new pair.
  ThermalFit fit;
  ASSERT_TRUE(fit.init(boardZone(), 1.0, ThermalFitConfig{}).ok());
  ASSERT_TRUE(fit.update(30.0, 2.0, 25.0).ok());
  ASSERT_TRUE(fit.update(30.5, 2.0, 25.0).ok());
  EXPECT_EQ(fit.rls().samples(), 1u);
  EXPECT_TRUE(contains(fit.update(NAN, 2.0, 25.0), "zone temperature nan C"));
  EXPECT_TRUE(contains(fit.update(31.0, -1.0, 25.0), "zone power -1 W is negative"));
  EXPECT_TRUE(contains(fit.update(31.0, 2.0, INFINITY), "ambient temperature inf C"));
  EXPECT_TRUE(contains(fit.update(250.0, 2.0, 25.0), "zone temperature 250 C"));
  ASSERT_TRUE(fit.update(31.0, 2.0, 25.0).ok());
  EXPECT_EQ(fit.rls().samples(), 1u);
  ASSERT_TRUE(fit.update(31.4, 2.0, 25.0).ok());
  EXPECT_EQ(fit.rls().samples(), 2u);
  fit.breakSequence();
  ASSERT_TRUE(fit.update(31.8, 2.0, 25.0).ok());
  EXPECT_EQ(fit.rls().samples(), 2u);
  ThermalFit bad;
  ZoneSpec z = boardZone();
  z.cThJPerK = 0.0;
  EXPECT_FALSE(bad.init(z, 1.0, ThermalFitConfig{}).ok());
  EXPECT_FALSE(bad.init(boardZone(), 0.0, ThermalFitConfig{}).ok());
}

// ---- EfficiencyTracker ----

SocSpec twoDeviceSoc() {
  JetsonRail rail;
  SocSpec soc = rail.board;
  soc.devices[0].defaultEta = 0.7;
  soc.devices[1].defaultEta = 0.5;
  return soc;
}

TEST(EfficiencyTracker, ConvergesToTheAchievedFractionOfTheRoofline) {
  // Measured rate = 0.62 of the roofline, +-15 % uniform noise per window. With alpha = 0.2
  // the EWMA's noise is 0.62 * 0.087 (uniform sd) * sqrt(0.2 / 1.8) = 0.018 rms: within 0.06
  // (over 3 sd) at every sample after the first 30.
  EfficiencyTracker eff;
  ASSERT_TRUE(eff.init(twoDeviceSoc(), EfficiencyConfig{}).ok());
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> jitter(0.85, 1.15);
  const double roofline = 40.0;  // tokens/s at eta 1
  EXPECT_EQ(eff.eta(1, 3), 0.5) << "board default";
  for (int k = 0; k < 200; ++k) {
    ASSERT_TRUE(eff.update(1, 3, 0.62 * roofline * jitter(rng), roofline).ok());
    if (k < 2) {
      EXPECT_EQ(eff.eta(1, 3), 0.5) << "fewer than 3 samples: board default";
    }
    if (k >= 30) {
      ASSERT_NEAR(eff.eta(1, 3), 0.62, 0.06) << k;
    }
  }
  EXPECT_TRUE(eff.confident(1, 3));
  EXPECT_EQ(eff.eta(0, 3), 0.7) << "another device: untouched";
  EXPECT_EQ(eff.eta(1, 2), 0.5) << "another workload: untouched";
  eff.forgetWorkload(3);
  EXPECT_EQ(eff.eta(1, 3), 0.5);
  EXPECT_EQ(eff.samples(1, 3), 0u);
}

TEST(EfficiencyTracker, IgnoresIdleWindowsClampsOutliersAndRejectsNonsense) {
  EfficiencyTracker eff;
  ASSERT_TRUE(eff.init(twoDeviceSoc(), EfficiencyConfig{}).ok());
  // No progress reported: ignored, not an eta of 0.
  for (int k = 0; k < 10; ++k)
    ASSERT_TRUE(eff.update(0, 0, 0.0, 10.0).ok());
  EXPECT_EQ(eff.samples(0, 0), 0u);
  EXPECT_EQ(eff.eta(0, 0), 0.7);
  // Five times the roofline (a miscounted token burst) counts as 1.5 at most.
  for (int k = 0; k < 3; ++k)
    ASSERT_TRUE(eff.update(0, 0, 50.0, 10.0).ok());
  EXPECT_DOUBLE_EQ(eff.eta(0, 0), 1.5);
  EXPECT_TRUE(contains(eff.update(0, 0, 5.0, 0.0), "predicted rate 0"));
  EXPECT_TRUE(contains(eff.update(0, 0, NAN, 10.0), "measured rate nan"));
  EXPECT_TRUE(contains(eff.update(0, 0, -1.0, 10.0), "measured rate -1"));
  EXPECT_TRUE(contains(eff.update(2, 0, 5.0, 10.0), "device 2 out of range"));
  EXPECT_TRUE(contains(eff.update(0, 16, 5.0, 10.0), "workload 16 out of range"));
  EXPECT_EQ(eff.samples(0, 0), 3u);
  EXPECT_DOUBLE_EQ(eff.eta(0, 0), 1.5);
}

// ---- CpqScaleFit ----

// PSI "some avg10" for a true kappa_m at pressure rho: CPQ = kappa rho / (1 - rho) is stall per
// unit of work, so the stalled fraction is s = CPQ / (1 + CPQ); the kernel prints percent with
// two decimals, and we add 0.3 points of noise.
double psiAvg10(double kappa, double rho, std::mt19937_64& rng) {
  const double c = kappa * rho / (1 - rho);
  const double pct = 100.0 * c / (1 + c) + std::normal_distribution<double>(0.0, 0.3)(rng);
  return quantise(std::clamp(pct, 0.0, 100.0), 0.01);
}

TEST(CpqScaleFit, LearnsKappaFromPsi) {
  // True kappa_m 0.08, board 0.05; rho uniform in 0.05..0.9. Within 5 % after 500 samples.
  CpqScaleFit fit;
  ASSERT_TRUE(fit.init(0.05, CpqScaleConfig{}).ok());
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<double> rhoDist(0.05, 0.9);
  double maxErr = 0.0;
  for (int k = 0; k < 1000; ++k) {
    const double rho = rhoDist(rng);
    ASSERT_TRUE(fit.update(psiAvg10(0.08, rho, rng), rho).ok());
    if (k >= 500) maxErr = std::max(maxErr, relErr(fit.rls().theta(0), 0.08));
  }
  record("cpq_max_rel_err_kappa", maxErr);
  EXPECT_LT(maxErr, 0.05);
  ASSERT_TRUE(fit.confident());
  EXPECT_NEAR(fit.kappaM(), 0.08, 0.05 * 0.08);
}

TEST(CpqScaleFit, IgnoresUninformativeSamplesAndRejectsNonsense) {
  CpqScaleFit fit;
  ASSERT_TRUE(fit.init(0.05, CpqScaleConfig{}).ok());
  // Stalls at tiny rho (from something else) must not teach kappa_m anything: 300 samples at
  // rho 0.1 with 20 % stall would give kappa = 0.25 * 9 = 2.25 if used.
  for (int k = 0; k < 300; ++k)
    ASSERT_TRUE(fit.update(20.0, 0.1).ok());
  // Nor do saturated PSI or rho at/above the ceiling.
  ASSERT_TRUE(fit.update(100.0, 0.5).ok());
  ASSERT_TRUE(fit.update(10.0, 0.995).ok());
  ASSERT_TRUE(fit.update(10.0, 1.2).ok());
  EXPECT_EQ(fit.rls().samples(), 0u);
  EXPECT_FALSE(fit.confident());
  EXPECT_EQ(fit.kappaM(), 0.05);
  EXPECT_TRUE(contains(fit.update(NAN, 0.5), "some avg10 nan%"));
  EXPECT_TRUE(contains(fit.update(-1.0, 0.5), "some avg10 -1%"));
  EXPECT_TRUE(contains(fit.update(101.0, 0.5), "some avg10 101%"));
  EXPECT_TRUE(contains(fit.update(5.0, -0.1), "rho -0.1"));
  EXPECT_TRUE(contains(fit.update(5.0, NAN), "rho nan"));
  EXPECT_EQ(fit.rls().samples(), 0u);
  EXPECT_EQ(fit.rls().theta(0), 0.05);
}

// ---- Calibration ----

// Jetson-like: CPU and GPU on one rail, an NPU (DLA) on its own, one zone.
SocSpec jetsonSoc() {
  SocSpec soc = twoDeviceSoc();
  soc.devices.push_back(device("dla", 1, 900, {0.1, 0.7, 0.03, 25}, 0.1, {Opp{0.6e9, 0.7}}));
  soc.devices[2].kind = DeviceKind::Npu;
  soc.zones.push_back(boardZone());
  soc.kappaM = 0.05;
  return soc;
}

TEST(Calibration, RefusesToCountADeviceOnTwoRails) {
  auto calib = std::make_unique<Calibration>();
  ASSERT_TRUE(calib->init(jetsonSoc(), 1.0, CalibrationConfig{}).ok());
  const int cpuGpu[2] = {0, 1};
  auto r = calib->addRail(cpuGpu, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 0);
  // A VDD_GPU sub-rail measured as well must not be fitted next to its parent.
  const int gpu[1] = {1};
  auto sub = calib->addRail(gpu, 1);
  ASSERT_FALSE(sub.ok());
  EXPECT_NE(std::string(sub.error().message()).find("'gpu' is already on rail 0"),
            std::string::npos);
  const int dla[1] = {2};
  EXPECT_EQ(calib->addRail(dla, 1).valueOr(-1), 1);
  EXPECT_EQ(calib->railOf(1), 0);
  EXPECT_EQ(calib->railOf(2), 1);
  const int none[1] = {3};
  EXPECT_FALSE(calib->addRail(none, 1).ok());
}

TEST(Calibration, AppliesBoardValuesUntilConfidentThenTheFitsWithoutAllocating) {
  // Every fit fed together, as the agent's tick would: every update, query and apply() after
  // set-up is allocation-free, and apply() writes board values first, then the fits'.
  auto calib = std::make_unique<Calibration>();
  const SocSpec soc = jetsonSoc();
  ASSERT_TRUE(calib->init(soc, 1.0, CalibrationConfig{}).ok());
  const int cpuGpu[2] = {0, 1};
  ASSERT_TRUE(calib->addRail(cpuGpu, 2).ok());
  auto model = std::make_unique<EnergyModel>(soc);
  // Values apply() must replace with the board's, and one it must leave alone (the DLA, on no
  // rail).
  model->setDynCoeff(0, -1.0);
  model->setEta(1, 0, -1.0);
  model->setKappaM(-1.0);
  model->setDynCoeff(2, 123.0);
  const auto dev = [&](int d) { return model->soc().devices[d]; };
  const auto zoneRc = [&](int z) {
    return std::array<double, 2>{model->soc().zones[z].rThKPerW, model->soc().zones[z].cThJPerK};
  };
  JetsonRail rail;
  Workload load(7);
  Ina226 ina(71);
  RcZone zone(2.5, 20.0, 73);
  std::mt19937_64 rng(74);

  test::AllocationScope scope;
  calib->apply(*model);
  // Board values everywhere (the DLA is on no rail: not written).
  EXPECT_EQ(dev(0).dynCoeff, 200);
  EXPECT_EQ(dev(1).leakage.refW, 0.20);
  EXPECT_EQ(dev(0).idleW, 0.3);
  EXPECT_EQ(dev(1).idleW, 0.3);
  EXPECT_EQ(dev(2).dynCoeff, 123.0);
  EXPECT_EQ(zoneRc(0)[0], 4.0);
  EXPECT_EQ(zoneRc(0)[1], 10.0);
  EXPECT_EQ(model->eta(1, 0), 0.5);
  EXPECT_EQ(model->eta(2, 15), 1.0);
  EXPECT_EQ(model->soc().kappaM, 0.05);

  for (int k = 0; k < 3000; ++k) {
    const auto s = load.next(soc);
    const double p = ina.powerW(rail.powerW(s));
    ASSERT_TRUE(calib->rail(0).update(p, s.data(), 2).ok());
    double t, zp, amb;
    zone.next(&t, &zp, &amb);
    ASSERT_TRUE(calib->zone(0).update(t, zp, amb).ok());
    ASSERT_TRUE(calib->efficiency().update(0, 1, 0.8 * 20.0, 20.0).ok());
    const double rho = std::uniform_real_distribution<double>(0.05, 0.9)(rng);
    ASSERT_TRUE(calib->cpqScale().update(psiAvg10(0.08, rho, rng), rho).ok());
    calib->apply(*model);
  }
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_NEAR(dev(0).dynCoeff, 260, 0.02 * 260);
  EXPECT_NEAR(dev(1).dynCoeff, 1100, 0.02 * 1100);
  EXPECT_NEAR(dev(1).leakage.refW, 0.35, 0.02 * 0.35);
  EXPECT_EQ(dev(1).leakage.lambdaPerK, 0.025);
  EXPECT_NEAR(dev(0).idleW + dev(1).idleW, 0.45, 0.02 * 0.45);
  EXPECT_NEAR(zoneRc(0)[0], 2.5, 0.03 * 2.5);
  EXPECT_NEAR(zoneRc(0)[1], 20.0, 0.03 * 20.0);
  EXPECT_NEAR(model->eta(0, 1), 0.8, 1e-12);
  EXPECT_EQ(model->eta(0, 0), 0.7);
  EXPECT_NEAR(model->soc().kappaM, 0.08, 0.05 * 0.08);
  EXPECT_EQ(dev(2).dynCoeff, 123.0) << "the DLA has no rail: left alone";
}

}  // namespace
}  // namespace qeil::energy
