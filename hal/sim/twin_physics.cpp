#include "hal/sim/twin_physics.h"

#include <algorithm>
#include <cmath>

namespace qeil::twin {

double bsimLeakageW(const TwinDevice& d, double voltV, double tempC) {
  double tK = tempC + kZeroCK;
  if (tK <= 0.0 || d.leakI0A <= 0.0) return 0.0;
  double ratio = tK / kT0K;
  double vth = d.leakVthV - d.leakVthTempCoeffVPerK * (tK - kT0K);
  double thermalV = d.leakN * kBoltzmannOverQ * tK;
  return voltV * d.leakI0A * ratio * ratio * std::exp(-vth / thermalV);
}

double leakI0ForReference(const TwinDevice& shape, const LeakageSpec& ref) {
  if (ref.refW <= 0.0 || ref.refVoltV <= 0.0) return 0.0;
  TwinDevice unit = shape;
  unit.leakI0A = 1.0;
  double perAmp = bsimLeakageW(unit, ref.refVoltV, ref.refTempC);
  return perAmp > 0.0 ? ref.refW / perAmp : 0.0;
}

void stepZone(const TwinZone& z, double powerW, double ambientC, double dtS, ZoneTemps* t) {
  double a = z.dieCJPerK / dtS;
  double b = z.sinkCJPerK / dtS;
  if (z.sinkRKPerW <= 0.0) {  // the package is held at ambient
    double g = z.dieRKPerW > 0.0 ? 1.0 / z.dieRKPerW : 0.0;
    t->sinkC = ambientC;
    if (a + g > 0.0) t->dieC = (a * t->dieC + powerW + g * ambientC) / (a + g);
    return;
  }
  double k = 1.0 / z.sinkRKPerW;
  if (z.dieRKPerW <= 0.0) {  // one lumped node
    double c = a + b;
    t->sinkC = (c * t->sinkC + powerW + k * ambientC) / (c + k);
    t->dieC = t->sinkC;
    return;
  }
  double g = 1.0 / z.dieRKPerW;
  double rhsDie = a * t->dieC + powerW;
  double rhsSink = b * t->sinkC + k * ambientC;
  double det = (a + g) * (b + g + k) - g * g;
  double die = (rhsDie * (b + g + k) + g * rhsSink) / det;
  double sink = ((a + g) * rhsSink + g * rhsDie) / det;
  t->dieC = die;
  t->sinkC = sink;
}

ZoneTemps steadyZone(const TwinZone& z, double powerW, double ambientC) {
  ZoneTemps t;
  t.sinkC = ambientC + powerW * std::max(z.sinkRKPerW, 0.0);
  t.dieC = t.sinkC + powerW * std::max(z.dieRKPerW, 0.0);
  return t;
}

bool StepWise::poll(double tempC, double tripC, double hystC) {
  if (tempC > tripC) {
    if (state >= maxState) return false;
    if (state == 0) ++events;
    ++state;
    return true;
  }
  if (tempC < tripC - hystC && state > 0) {
    --state;
    return true;
  }
  return false;
}

uint64_t mixSeed(uint64_t seed, uint64_t salt) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (salt + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void Rng::reseed(uint64_t seed) {
  for (int i = 0; i < 4; ++i)
    s_[i] = mixSeed(seed, static_cast<uint64_t>(i));
  hasSpare_ = false;
}

namespace {
uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

uint64_t Rng::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::gauss() {
  if (hasSpare_) {
    hasSpare_ = false;
    return spare_;
  }
  double u;
  double v;
  double s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double m = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * m;
  hasSpare_ = true;
  return u * m;
}

}  // namespace qeil::twin
