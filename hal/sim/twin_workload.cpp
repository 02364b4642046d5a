#include "hal/sim/twin_workload.h"

#include <algorithm>
#include <limits>

namespace qeil {

const char* workloadStateName(WorkloadState s) {
  switch (s) {
    case WorkloadState::Running:
      return "running";
    case WorkloadState::Done:
      return "done";
    case WorkloadState::Crashed:
      return "crashed";
  }
  return "?";
}

LlmWorkloadSpec tinyLlamaQ4() {
  LlmWorkloadSpec w;
  w.name = "tinyllama-q4";
  w.params = 1.1e9;
  w.bitsPerWeight = 4.5;
  w.layers = 22;
  w.hiddenWidth = 2048;
  w.kvWidth = 256;
  w.contextTokens = 2048;
  w.promptTokens = 64;
  w.outputTokens = 128;
  return w;
}

namespace twin {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// A pass never takes less than this (guards the step loop against a zero-cost pass).
constexpr double kMinLayerS = 1e-12;
// llama.cpp's default micro-batch: scratch buffers hold this many tokens at most.
constexpr int kUbatchTokens = 512;

double weightBytes(const LlmWorkloadSpec& s) {
  return s.params * s.bitsPerWeight / 8.0;
}

double ratio(double amount, double rate) {
  if (amount <= 0.0) return 0.0;
  return rate > 0.0 ? amount / rate : kInf;
}

}  // namespace

WorkType defaultWorkType(double bitsPerWeight) {
  if (bitsPerWeight <= 4.0) return WorkType::Int4;
  if (bitsPerWeight <= 8.0) return WorkType::Int8;
  if (bitsPerWeight <= 16.0) return WorkType::Fp16;
  return WorkType::Fp32;
}

// MODEL.md §2, with the prefill's causal attention (sum over positions 1..P of 4 L c d_kv)
// and its KV cache writes.
PassCost currentPassCost(const Workload& w) {
  const LlmWorkloadSpec& s = w.spec;
  double layers = s.layers;
  double kv = s.kvWidth;
  PassCost c;
  if (!w.prefillDone) {
    double p = s.promptTokens;
    c.flops = 2.0 * s.params * p + 2.0 * layers * p * p * kv;
    c.bytes = weightBytes(s) + 2.0 * layers * p * kv * s.kvBytesPerElem;
    return c;
  }
  double ctx = static_cast<double>(s.promptTokens) + w.tokens;
  if (s.contextTokens > 0) ctx = std::min(ctx, static_cast<double>(s.contextTokens));
  c.flops = 2.0 * s.params + 4.0 * layers * ctx * kv;
  c.bytes = weightBytes(s) + 2.0 * layers * ctx * kv * s.kvBytesPerElem;
  return c;
}

// Weights, the whole KV window, and scratch (estimate: four f32 hidden-wide buffers per token
// of a micro-batch).
double footprintBytes(const LlmWorkloadSpec& s) {
  double kv = 2.0 * s.layers * static_cast<double>(s.contextTokens) * s.kvWidth * s.kvBytesPerElem;
  double batch = std::max(1, std::min(s.promptTokens, kUbatchTokens));
  return weightBytes(s) + kv + 16.0 * s.hiddenWidth * batch;
}

void WorkloadSolver::configure(size_t cpus, size_t devices) {
  cpuThreads_.assign(cpus, 0);
  cpuWeight_.assign(cpus, 0.0);
  cpuBusyS_.assign(cpus, 0.0);
  deviceCores_.assign(devices, 0);
  deviceLoads_.assign(devices, 0);
  deviceBusyS_.assign(devices, 0.0);
  demandBps_.assign(devices, 0.0);
  slots_.assign(kMaxWorkloads, Slots());
}

bool WorkloadSolver::runnable(const Workload& w, const Slots& slots, const Inputs& in) const {
  if (w.state != WorkloadState::Running) return false;
  return w.device >= 0 ? in.devices[w.device].available : !slots.empty();
}

void WorkloadSolver::place(Workload* workloads, size_t count, const Inputs& in) {
  std::fill(cpuThreads_.begin(), cpuThreads_.end(), 0);
  std::fill(cpuWeight_.begin(), cpuWeight_.end(), 0.0);
  std::fill(deviceCores_.begin(), deviceCores_.end(), 0);
  std::fill(deviceLoads_.begin(), deviceLoads_.end(), 0);
  for (size_t i = 0; i < count; ++i) {
    Workload& w = workloads[i];
    Slots& slots = slots_[i];
    slots.clear();
    if (w.state != WorkloadState::Running) continue;
    if (w.device >= 0) {
      if (in.devices[w.device].available) ++deviceLoads_[w.device];
      continue;
    }
    int cpus[CpuSet::kMaxCpus];
    int m = 0;
    for (int c = 0; c < CpuSet::kMaxCpus && static_cast<size_t>(c) < cpuThreads_.size(); ++c) {
      if (w.running.contains(c) && in.cpuDevice[c] >= 0 && in.devices[in.cpuDevice[c]].available)
        cpus[m++] = c;
    }
    if (m == 0) continue;
    int threads = std::max(1, w.spec.threads);
    for (int j = 0; j < m && j < threads; ++j) {
      int n = threads / m + (j < threads % m ? 1 : 0);
      slots.push_back({cpus[j], n});
      if (cpuThreads_[cpus[j]] == 0) ++deviceCores_[in.cpuDevice[cpus[j]]];
      cpuThreads_[cpus[j]] += n;
      cpuWeight_[cpus[j]] += n * w.cpuWeight;
    }
  }
}

double WorkloadSolver::deviceWorkS(const Workload& w, const PassCost& c, const Inputs& in) const {
  const DeviceRate& rate = in.devices[w.device];
  double layers = w.spec.layers;
  double bw = rate.bandwidthBps > 0.0 ? rate.bandwidthBps * factor_ : kInf;
  return std::max(ratio(c.flops / layers, rate.flopsPerS[static_cast<int>(w.workType)]),
                  ratio(c.bytes / layers, bw));
}

double WorkloadSolver::threadTimeS(const Workload& w, int cpu, const PassCost& c,
                                   const Inputs& in) const {
  int d = in.cpuDevice[cpu];
  const DeviceRate& rate = in.devices[d];
  double share = static_cast<double>(w.spec.layers) * std::max(1, w.spec.threads);
  double bw = rate.bandwidthBps > 0.0 ? rate.bandwidthBps / deviceCores_[d] * factor_ : kInf;
  return std::max(ratio(c.flops / share, rate.flopsPerS[static_cast<int>(w.workType)]),
                  ratio(c.bytes / share, bw));
}

double WorkloadSolver::layerTimeS(const Workload& w, const Slots& slots, const PassCost& c,
                                  const Inputs& in, std::vector<double>* demand) const {
  double layers = w.spec.layers;
  if (w.device >= 0) {
    double t = std::max(deviceLoads_[w.device] * deviceWorkS(w, c, in) + in.barrierS, kMinLayerS);
    if (demand) (*demand)[w.device] += c.bytes / layers / t;
    return t;
  }
  double slowest = 0.0;
  for (const Slot& s : slots)
    slowest = std::max(slowest, cpuWeight_[s.cpu] / w.cpuWeight * threadTimeS(w, s.cpu, c, in));
  double t = std::max(slowest + in.barrierS, kMinLayerS);
  if (demand) {
    double perThread = c.bytes / (layers * std::max(1, w.spec.threads));
    for (const Slot& s : slots)
      (*demand)[in.cpuDevice[s.cpu]] += s.threads * perThread / t;
  }
  return t;
}

void WorkloadSolver::addBusy(const Workload& w, const Slots& slots, const PassCost& c,
                             const Inputs& in, double layers, double layerS) {
  bytesMoved_ += layers * c.bytes / w.spec.layers;
  if (w.device >= 0) {
    deviceBusyS_[w.device] += layers * deviceWorkS(w, c, in);
    return;
  }
  double spinS = w.spec.spinWait ? layerS : 0.0;
  for (const Slot& s : slots)
    cpuBusyS_[s.cpu] += layers * std::max(s.threads * threadTimeS(w, s.cpu, c, in), spinS);
}

void WorkloadSolver::progress(Workload& w, const Slots& slots, const Inputs& in, double dtS) {
  double remaining = dtS;
  double layers = w.spec.layers;
  while (remaining > 0.0 && w.state == WorkloadState::Running) {
    PassCost c = currentPassCost(w);
    double t = layerTimeS(w, slots, c, in, nullptr);
    if (!(t < kInf)) return;  // cannot run here (no rate for its arithmetic)
    double left = layers - w.layerProgress;
    double need = left * t;
    double spent = std::min(need, remaining);
    double done = spent >= need ? left : spent / t;
    addBusy(w, slots, c, in, done, t);
    remaining -= spent;
    (w.prefillDone ? w.decodeS : w.prefillS) += spent;
    if (spent < need) {
      w.layerProgress += done;
      return;
    }
    w.layerProgress = 0.0;
    if (!w.prefillDone) {
      w.prefillDone = true;
      if (w.prefillS > 0.0) w.lastPromptTokensPerS = w.spec.promptTokens / w.prefillS;
    } else {
      ++w.tokens;
      ++w.totalTokens;
    }
    if (w.tokens < w.spec.outputTokens) continue;
    ++w.runs;
    if (w.decodeS > 0.0) w.lastRunTokensPerS = w.tokens / w.decodeS;
    if (!w.spec.repeat) {
      w.state = WorkloadState::Done;
      return;
    }
    w.tokens = 0;
    w.prefillDone = w.spec.promptTokens <= 0;
    w.prefillS = 0.0;
    w.decodeS = 0.0;
  }
}

void WorkloadSolver::step(Workload* workloads, size_t count, const Inputs& in, double dtS) {
  std::fill(cpuBusyS_.begin(), cpuBusyS_.end(), 0.0);
  std::fill(deviceBusyS_.begin(), deviceBusyS_.end(), 0.0);
  std::fill(demandBps_.begin(), demandBps_.end(), 0.0);
  bytesMoved_ = 0.0;
  place(workloads, count, in);
  // Pass 1: what every device would draw without DRAM contention.
  factor_ = 1.0;
  double total = 0.0;
  for (size_t i = 0; i < count; ++i) {
    if (workloads[i].state != WorkloadState::Running) continue;
    if (runnable(workloads[i], slots_[i], in))
      layerTimeS(workloads[i], slots_[i], currentPassCost(workloads[i]), in, &demandBps_);
  }
  for (double d : demandBps_)
    total += d;
  factor_ =
      in.dramBandwidthBps > 0.0 && total > in.dramBandwidthBps ? in.dramBandwidthBps / total : 1.0;
  dramFactor_ = factor_;
  // Pass 2: progress at the shared bandwidth.
  for (size_t i = 0; i < count; ++i) {
    if (runnable(workloads[i], slots_[i], in)) progress(workloads[i], slots_[i], in, dtS);
  }
}

}  // namespace twin
}  // namespace qeil
