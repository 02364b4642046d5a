#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hal/board_spec.h"
#include "hal/cpu_set.h"
#include "hal/fixed_vector.h"

namespace qeil {

// A simulated LLM inference run (llama.cpp-like) on the board twin. Sizes follow MODEL.md §2:
// weights N * bits / 8 bytes streamed once per decoded token and once per prefill batch,
// 2 FLOP per weight per token, attention 4 * layers * context * kvWidth FLOP and
// 2 * layers * context * kvWidth * kvBytesPerElem bytes of KV cache per decoded token.
struct LlmWorkloadSpec {
  std::string name;            // for messages: "tinyllama-q4"
  double params = 0.0;         // N, weights
  double bitsPerWeight = 4.5;  // Q4_K_M ~ 4.5-4.9, Q8_0 8.5, F16 16
  int layers = 0;
  int hiddenWidth = 0;          // d_model: sizes the scratch buffers in footprintBytes()
  int kvWidth = 0;              // K (and V) width per layer: n_kv_heads * head_dim
  int contextTokens = 0;        // KV window; attention spans min(context, prompt + generated)
  int promptTokens = 0;         // prefill batch; 0 skips prefill
  int outputTokens = 0;         // decoded tokens per run
  double kvBytesPerElem = 2.0;  // f16 KV cache
  // Kind of arithmetic the kernels run; unset: from bitsPerWeight (<= 4 int4, <= 8 int8,
  // <= 16 fp16, else fp32). Every device the workload can run on must support it.
  std::optional<WorkType> workType;
  // CPU workloads: threads, each pinned round-robin over the CPUs its cgroup allows (one per
  // CPU in ascending order; more threads than CPUs time-share). Accelerator workloads: unused.
  int threads = 1;
  // "cpu" (or empty) for a CPU run confined by its cgroup's cpuset; otherwise the name of a
  // GPU/NPU BoardDevice that runs every layer.
  std::string device;
  // The cgroup its process lives in, relative to the cpuset hierarchy ("qeil/llm0"); empty:
  // the root. The twin creates it when missing and reads its cpuset.cpus (and its
  // ancestors') at every step. A workload stays in this group: moving its pid elsewhere is
  // not followed.
  std::string cgroup;
  // Written to the group's cpuset.cpus when the workload is added; empty: left as it is.
  CpuSet cpus;
  // Start the next run as soon as one completes (sustained load).
  bool repeat = false;
  // CPU workloads: threads that finish their share of a layer busy-wait for the slowest one, as
  // llama.cpp's do (ggml_barrier spins on an atomic with a CPU-relax hint, it does not sleep),
  // so every core of the run switches for the whole layer. false: waiting cores idle.
  bool spinWait = true;
};

// TinyLlama 1.1B in Q4_0 (llama.cpp: 22 layers, 4 KV heads x 64 = 256 KV width, d_model 2048,
// context 2048): a 64-token prompt and 128 output tokens on one thread, about 0.6 GB streamed
// per decoded token. Callers set threads, CPUs, cgroup and device.
LlmWorkloadSpec tinyLlamaQ4();

enum class WorkloadState { Running, Done, Crashed };
const char* workloadStateName(WorkloadState s);

// What a workload reports, as llama.cpp's timings would.
struct WorkloadStatus {
  WorkloadState state = WorkloadState::Running;
  bool prefillDone = false;
  int tokensGenerated = 0;   // in the current run
  uint64_t totalTokens = 0;  // decoded over every run
  int runsCompleted = 0;
  double prefillS = 0.0;  // the current (or last) run's prefill time
  double decodeS = 0.0;   // the current run's decode time so far
  // Decode rate of the current run; the last completed run's when the current one has not
  // decoded yet. 0 before any token.
  double tokensPerS = 0.0;
  double promptTokensPerS = 0.0;  // promptTokens / prefillS of the latest prefill
  CpuSet cpus;                    // CPU workloads: the CPUs its threads run on now
  double footprintBytes = 0.0;
};

namespace twin {

constexpr size_t kMaxWorkloads = 16;

// What the solver needs of each device at the current operating point.
struct DeviceRate {
  bool cpu = true;
  bool available = true;  // false: lost accelerator, or the board is off
  // Peak FLOP/s reached by real kernels (peak * computeEfficiency): per core for CPUs, the whole
  // device for accelerators.
  double flopsPerS[kWorkTypes] = {};
  double bandwidthBps = 0.0;  // maxBandwidth * memoryEfficiency, before DRAM contention
};

// One workload's progress, advanced by the solver.
struct Workload {
  LlmWorkloadSpec spec;
  int device = -1;  // accelerator index; -1: CPU
  WorkType workType = WorkType::Int8;
  std::vector<std::string> cpusetPaths;  // cpuset.cpus from the hierarchy root to the group
  std::string cpuWeightPath;             // its group's cpu.weight (v1: cpu.shares)
  double cpuWeight = 100.0;              // read back every step, cgroup v2's scale
  int pid = 0;
  CpuSet allowed;  // what its cpusets allow (read back every step)
  CpuSet running;  // allowed and online: where its threads are
  WorkloadState state = WorkloadState::Running;
  bool prefillDone = false;
  int tokens = 0;
  uint64_t totalTokens = 0;
  int runs = 0;
  double layerProgress = 0.0;  // layers of the current pass done
  double prefillS = 0.0;
  double decodeS = 0.0;
  double lastRunTokensPerS = 0.0;
  double lastPromptTokensPerS = 0.0;
};

// Per-pass cost of the current phase: a prefill batch or one decoded token.
struct PassCost {
  double flops = 0.0;
  double bytes = 0.0;
};
PassCost currentPassCost(const Workload& w);
double footprintBytes(const LlmWorkloadSpec& s);
WorkType defaultWorkType(double bitsPerWeight);

// Advances every running workload by one physics step from the machine's state, with
// processor sharing on each core and accelerator and proportional sharing of the DRAM
// (MODEL.md §3's beta_eff, as the "real" board does it):
//  - a CPU thread of a layer needs max(FLOP share / core rate, byte share / bandwidth share),
//    the bandwidth share being its device's bandwidth over that device's busy cores;
//  - a core carrying k threads (of any workloads) gives each 1/k of its time;
//  - a layer ends when its slowest thread does (barrier), plus barrierUs;
//  - when the devices' demands add up past the DRAM's bandwidth, every device's bandwidth is
//    scaled down by the same factor (two passes: demand, then progress).
// Fills each CPU's and device's busy seconds over the step (switching activity) and the bytes
// moved. Sized at configure(); never allocates afterwards.
class WorkloadSolver {
 public:
  void configure(size_t cpus, size_t devices);

  struct Inputs {
    const DeviceRate* devices = nullptr;
    const int* cpuDevice = nullptr;  // per logical CPU: its device index, -1: none
    double dramBandwidthBps = 0.0;   // 0: unlimited
    double barrierS = 0.0;
  };
  // Steps `workloads[0..count)` by dtS seconds.
  void step(Workload* workloads, size_t count, const Inputs& in, double dtS);

  double cpuBusyS(size_t cpu) const { return cpuBusyS_[cpu]; }
  double deviceBusyS(size_t device) const { return deviceBusyS_[device]; }
  double bytesMoved() const { return bytesMoved_; }
  // The DRAM contention factor of the last step (1: no contention).
  double dramFactor() const { return dramFactor_; }

 private:
  struct Slot {
    int cpu;
    int threads;
  };
  using Slots = FixedVector<Slot, CpuSet::kMaxCpus>;

  void place(Workload* workloads, size_t count, const Inputs& in);
  bool runnable(const Workload& w, const Slots& slots, const Inputs& in) const;
  // Layer time of `w` for a pass of cost `c` at the DRAM factor in use; adds to the device
  // demands (bytes per second) when `demand` is set.
  double layerTimeS(const Workload& w, const Slots& slots, const PassCost& c, const Inputs& in,
                    std::vector<double>* demand) const;
  // An accelerator's work per layer (one workload alone on it).
  double deviceWorkS(const Workload& w, const PassCost& c, const Inputs& in) const;
  void progress(Workload& w, const Slots& slots, const Inputs& in, double dtS);
  // `layerS`: the layer's time, what a spinning thread's core is busy for.
  void addBusy(const Workload& w, const Slots& slots, const PassCost& c, const Inputs& in,
               double layers, double layerS);
  double threadTimeS(const Workload& w, int cpu, const PassCost& c, const Inputs& in) const;

  std::vector<int> cpuThreads_;  // threads sharing each CPU
  // Per CPU, the sum over its threads of their groups' CPU weights: a thread of weight w gets
  // w / sum of that CPU's time. A simplification of CFS, which weighs groups and spreads a
  // group's weight over the CPUs its threads are on; the two agree when each group has one
  // thread per CPU, and with equal weights this is the even share per thread.
  std::vector<double> cpuWeight_;
  std::vector<int> deviceCores_;  // busy cores per CPU device
  std::vector<int> deviceLoads_;  // workloads per accelerator
  std::vector<double> cpuBusyS_;
  std::vector<double> deviceBusyS_;
  std::vector<double> demandBps_;
  std::vector<Slots> slots_;  // per workload
  double factor_ = 1.0;       // DRAM factor in use while stepping
  double dramFactor_ = 1.0;
  double bytesMoved_ = 0.0;
};

}  // namespace twin
}  // namespace qeil
