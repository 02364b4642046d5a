// bench/roofline_host: MODEL.md §3 (DASI) checked against hardware nobody here designed, the
// machine that built the bench.
//   1. Measures the two roofline ceilings: peak FLOP/s (independent vector FMA chains, one pinned
//      thread per core) and DRAM bandwidth (STREAM triad on arrays >= 8x the last-level cache),
//      for 1 and 2 threads.
//   2. Builds the host as a model device per thread count: cores = threads, one Opp at the
//      measured core clock, flopsPerCycle[Fp32] = measured peak / (cores * clock),
//      maxBandwidthBps = measured triad DRAM traffic rate, eta = 1. Nothing else parameterises it.
//   3. Runs Y = W X over arithmetic intensities 0.25..64 FLOP/byte: W (rows x K) streamed once
//      from DRAM, X (K x nb) kept in cache, so each weight does 2 * nb FLOP; GEMV-like for
//      nb 1-2, GEMM-like (register-blocked) above; 1 and 2 threads. Prints the model's
//      attainableFlops(peakFlops(...), I, beta) beside the measured rate, with the signed error.
// Bytes are DRAM traffic on both sides. beta is STREAM's triad as compiled code runs it (plain
// stores), counting the 8 write-allocate bytes per element STREAM leaves out: 32 B, not 24. The
// kernels stream W with ordinary loads, as an inference runtime does. A triad with non-temporal
// stores moves more per second than ordinary code can; the median error with that beta is
// printed beside the target for comparison, not used.
// Target: median absolute error over all points <= 15 %.
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/support/bench_report.h"
#include "energy/roofline.h"
#include "energy/soc.h"
#include "hal/linux/host_info.h"

// Kernels: roofline_host_kernels.cpp, compiled for this machine's ISA (-march=native).
namespace qeil::bench::roofline {
const char* kernelIsa();
int kernelVectorBytes();
int peakChains();
float fmaPeakF32(long iters);
double fmaPeakF64(long iters);
void triadPlain(double* a, const double* b, const double* c, double s, long n);
void triadStream(double* a, const double* b, const double* c, double s, long n);
double readSum(const float* a, long n);
int gemmTileColsFor(int nb);
long gemmRowsPerPanel(int nb, int elemBytes);
long gemmPanelsPerBlock(int nb, int elemBytes);
long gemmWIndex(int nb, int elemBytes, long k, long panels, long r, long kk);
long gemmXIndex(int nb, long k, long kk, int j);
long gemmYIndex(int nb, int elemBytes, long r, int j);
bool gemmF32(const float* w, const float* x, float* y, long panelBegin, long panelEnd, long k,
             int nb);
bool gemmF64(const double* w, const double* x, double* y, long panelBegin, long panelEnd, long k,
             int nb);
long clockChain(long iters);
}  // namespace qeil::bench::roofline

namespace qeil::bench::roofline {
namespace {

using SteadyClock = std::chrono::steady_clock;

double secondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

// ---- the machine --------------------------------------------------------------------------

struct Machine {
  std::string cpuModel = "unknown";
  std::string cpuFlags;  // the ISA extensions /proc/cpuinfo lists that matter here
  double cpuinfoMHz = 0.0;
  long llcBytes = 0;
  int llcLevel = 0;
  std::vector<int> cpus;  // CPUs this process may run on
  double memAvailableBytes = 0.0;
};

Machine readMachine() {
  Machine m;
  const HostCpuInfo host = readHostCpuInfo(SysRoot());
  m.cpuModel = host.model;
  m.cpuinfoMHz = host.mhz;
  m.llcLevel = host.llcLevel;
  m.llcBytes = host.llcBytes;
  m.memAvailableBytes = host.memAvailableBytes;
  const std::string padded = " " + host.flags + " ";
  for (const char* flag :
       {"sse2", "avx", "avx2", "fma", "avx512f", "avx512_fp16", "asimd", "sve"}) {
    if (padded.find(std::string(" ") + flag + " ") != std::string::npos) {
      if (!m.cpuFlags.empty()) m.cpuFlags += ' ';
      m.cpuFlags += flag;
    }
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) m.cpus.push_back(c);
    }
  }
  if (m.cpus.empty()) m.cpus.push_back(0);
  return m;
}

// ---- disturbance: other processes' CPU time, VM steal time, load average -------------------

struct Disturbance {
  double otherPct = 0;  // CPU time of other processes, % of all CPUs
  double stealPct = 0;  // time the hypervisor ran something else, % of all CPUs
};

Disturbance disturbanceBetween(const HostCpuTimes& a, const HostCpuTimes& b) {
  Disturbance d;
  const double total = b.total - a.total;
  if (total <= 0) return d;
  d.otherPct = std::max(0.0, (b.busy - a.busy) - (b.self - a.self)) / total * 100.0;
  d.stealPct = (b.steal - a.steal) / total * 100.0;
  return d;
}

// ---- memory and threads -------------------------------------------------------------------

// Anonymous memory, 2 MiB aligned, transparent huge pages requested (fewer TLB misses while
// streaming). Nothing is touched here: first touch happens on the threads that use it.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t bytes) : mapped_(bytes + kAlign) {
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      mapped_ = 0;
      return;
    }
    base_ = p;
    const uintptr_t misalign = reinterpret_cast<uintptr_t>(p) & (kAlign - 1);
    data_ = static_cast<char*>(p) + (misalign ? kAlign - misalign : 0);
    madvise(data_, bytes, MADV_HUGEPAGE);
  }
  ~Buffer() {
    if (base_) munmap(base_, mapped_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(data_, o.data_);
    std::swap(mapped_, o.mapped_);
    return *this;
  }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  bool ok() const { return data_ != nullptr; }

 private:
  static constexpr uintptr_t kAlign = 2u << 20;
  void* base_ = nullptr;
  void* data_ = nullptr;
  size_t mapped_ = 0;
};

struct Timing {
  double seconds = 0;  // from the first thread's start to the last one's finish
  double onCpu = 0;    // the threads' CPU time / (threads * seconds): < 1 when preempted
};

std::atomic<bool> gPinFailed{false};  // a thread could not be pinned to its CPU

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs fn(t) on `threads` threads, thread t pinned to cpus[t]; all start together after a spin
// barrier.
template <typename F>
Timing runPinned(const std::vector<int>& cpus, int threads, F fn) {
  std::atomic<int> ready{0};
  std::vector<SteadyClock::time_point> start(threads), end(threads);
  std::vector<double> cpuS(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpus[t % cpus.size()], &set);
      if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) gPinFailed = true;
      ready.fetch_add(1);
      while (ready.load() < threads) {
      }
      const double cpu0 = threadCpuSeconds();
      start[t] = SteadyClock::now();
      fn(t);
      end[t] = SteadyClock::now();
      cpuS[t] = threadCpuSeconds() - cpu0;
    });
  }
  for (std::thread& th : pool)
    th.join();
  auto first = *std::min_element(start.begin(), start.end());
  auto last = *std::max_element(end.begin(), end.end());
  Timing timing;
  timing.seconds = std::chrono::duration<double>(last - first).count();
  double cpu = 0;
  for (double c : cpuS)
    cpu += c;
  timing.onCpu = timing.seconds > 0 ? cpu / (threads * timing.seconds) : 1.0;
  return timing;
}

// [begin, end) of thread t's share of n items (a multiple of `grain`), in multiples of `grain`.
void share(long n, int threads, int t, long grain, long* begin, long* end) {
  const long units = n / grain;
  *begin = units * t / threads * grain;
  *end = units * (t + 1) / threads * grain;
}

// ---- repeated measurement, round-robin ------------------------------------------------------

// One timed repetition of an item.
struct Sample {
  double rate = 0;   // work / seconds
  double onCpu = 0;  // Timing::onCpu
  Disturbance disturbance;
};

// Something measured: a ceiling or a kernel at one intensity and thread count. Every item runs
// once per round and the rounds go over all items in turn, so a burst of load on this shared
// machine disturbs one repetition of many items rather than every repetition of one.
struct Item {
  std::string name;
  double work = 0;               // FLOP, bytes or cycles per repetition
  std::function<Timing()> run;   // one repetition
  std::function<bool()> verify;  // checks the repetition's output (may be empty)
  std::vector<Sample> samples;
  bool failed = false;
};

struct Measured {
  double best = 0, median = 0, worst = 0;  // rates over the timed repetitions
  Sample bestSample;                       // the repetition that gave `best`
  double spreadPct = 0;                    // (best - worst) / best
};

double medianOf(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Measured summarize(const Item& item) {
  Measured m;
  if (item.samples.empty()) return m;
  std::vector<double> rates;
  for (const Sample& s : item.samples) {
    rates.push_back(s.rate);
    if (s.rate > m.best) {
      m.best = s.rate;
      m.bestSample = s;
    }
  }
  m.worst = *std::min_element(rates.begin(), rates.end());
  m.median = medianOf(rates);
  m.spreadPct = (m.best - m.worst) / m.best * 100.0;
  return m;
}

// One untimed warm-up repetition of every item, then `rounds` timed ones.
void runRounds(std::vector<Item*>& items, int rounds) {
  for (int r = -1; r < rounds; ++r) {
    for (Item* item : items) {
      const HostCpuTimes before = readHostCpuTimes(SysRoot());
      const Timing t = item->run();
      const HostCpuTimes after = readHostCpuTimes(SysRoot());
      if (item->verify && !item->verify()) item->failed = true;
      if (r < 0) continue;
      Sample s;
      s.rate = item->work / t.seconds;
      s.onCpu = t.onCpu;
      s.disturbance = disturbanceBetween(before, after);
      item->samples.push_back(s);
    }
    if (r >= 0) {
      printf(".");
      fflush(stdout);
    }
  }
  printf("\n");
}

// Deterministic values in [-1, 1) (multiples of 2^-23: never denormal, never NaN).
inline double hashValue(uint64_t i, uint64_t seed) {
  uint64_t z = i * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 40) / static_cast<double>(1ull << 23) - 1.0;
}

// First touch on the threads (and CPUs) that will use the memory.
template <typename T>
void fillParallel(const std::vector<int>& cpus, int threads, T* p, long n, uint64_t seed) {
  runPinned(cpus, threads, [&](int t) {
    long b, e;
    share(n, threads, t, 1, &b, &e);
    for (long i = b; i < e; ++i)
      p[i] = static_cast<T>(hashValue(static_cast<uint64_t>(i), seed));
  });
}

// ---- the ceilings ----------------------------------------------------------------------------

// Peak: `iters` iterations of peakChains() independent vector FMA chains on each thread.
template <typename T>
Item peakItem(const std::vector<int>& cpus, int threads, double targetS) {
  auto once = [&cpus, threads](long iters) {
    std::vector<double> sink(threads);
    Timing timing = runPinned(cpus, threads, [&](int t) {
      sink[t] = static_cast<double>(sizeof(T) == 4 ? fmaPeakF32(iters) : fmaPeakF64(iters));
    });
    for (double v : sink) {
      if (!(std::isfinite(v) && v > 0)) timing.seconds = -1;  // the chains went wrong
    }
    return timing;
  };
  const long probe = 1L << 20;  // sizes the repetition to about targetS
  const long iters =
      std::max(probe, static_cast<long>(probe * targetS / std::max(1e-6, once(probe).seconds)));
  const int lanes = kernelVectorBytes() / static_cast<int>(sizeof(T));
  Item item;
  item.name = std::string(sizeof(T) == 4 ? "peak fp32 FMA" : "peak fp64 FMA");
  item.work = 2.0 * threads * static_cast<double>(iters) * peakChains() * lanes;
  auto ok = std::make_shared<bool>(true);
  item.run = [once, iters, ok] {
    Timing t = once(iters);
    if (t.seconds < 0) {
      *ok = false;
      t.seconds = 1;
    }
    return t;
  };
  item.verify = [ok] { return *ok; };
  return item;
}

// The core clock: a chain of dependent one-cycle adds (x86); elsewhere /proc/cpuinfo.
struct ClockSource {
  bool measured = false;
  double fallbackHz = 0;
  std::string what;
};

struct Triad {
  long n = 0;
  Buffer a, b, c;
  double* pa() const { return a.as<double>(); }
  double* pb() const { return b.as<double>(); }
  double* pc() const { return c.as<double>(); }
  bool check() const {  // a[i] = b[i] + s * c[i] on a sample
    for (long i = 0; i < n; i += n / 997 + 1) {
      const double want = pb()[i] + kScalar * pc()[i];
      if (std::fabs(pa()[i] - want) > 1e-14 * (std::fabs(want) + 1.0)) {
        fprintf(stderr, "roofline_host: triad a[%ld] = %.17g, want %.17g\n", i, pa()[i], want);
        return false;
      }
    }
    return true;
  }
  static constexpr double kScalar = 3.0;
  static constexpr long kGrain = 4096;  // elements: every thread's chunk vector- and line-aligned
};

Item triadItem(const std::vector<int>& cpus, int threads, bool nonTemporal, const Triad& tr) {
  Item item;
  item.name = nonTemporal ? "triad, non-temporal stores" : "triad, plain stores";
  item.work = 24.0 * tr.n;  // STREAM: read b, read c, write a; write-allocate not counted
  item.run = [&cpus, threads, nonTemporal, &tr] {
    return runPinned(cpus, threads, [&](int t) {
      long lo, hi;
      share(tr.n, threads, t, Triad::kGrain, &lo, &hi);
      if (nonTemporal) {
        triadStream(tr.pa() + lo, tr.pb() + lo, tr.pc() + lo, Triad::kScalar, hi - lo);
      } else {
        triadPlain(tr.pa() + lo, tr.pb() + lo, tr.pc() + lo, Triad::kScalar, hi - lo);
      }
    });
  };
  item.verify = [&tr] { return tr.check(); };
  return item;
}

// Read-only stream over `n` floats (W's buffer): not a model input, shown beside the triad.
Item readItem(const std::vector<int>& cpus, int threads, const float* a, long n) {
  Item item;
  item.name = "read-only stream (sum)";
  item.work = 4.0 * n;
  auto sums = std::make_shared<std::vector<double>>(threads, 0.0);
  auto first = std::make_shared<std::vector<double>>();
  item.run = [&cpus, threads, a, n, sums] {
    return runPinned(cpus, threads, [&](int t) {
      long lo, hi;
      share(n, threads, t, Triad::kGrain, &lo, &hi);
      (*sums)[t] = readSum(a + lo, hi - lo);
    });
  };
  item.verify = [sums, first] {  // the same sums, in the same order, every time
    if (first->empty()) *first = *sums;
    for (double v : *sums) {
      if (!std::isfinite(v)) return false;
    }
    return *first == *sums;
  };
  return item;
}

// ---- Y = W X across intensities ---------------------------------------------------------------

// W (rows x k) of one element type: the same buffer, filled once, serves every nb.
struct Weights {
  Buffer buffer;
  double bytes = 0;
  int elemBytes = 0;
};

struct KernelPoint {
  const char* dtype;
  int elemBytes;
  int nb;
  int threads;
  long k = 0, panels = 0, rows = 0, blockPanels = 0;
  double flops = 0, bytes = 0, intensity = 0;
  std::vector<double> x;  // fp32 points keep their X as floats in xf
  std::vector<float> xf;
  Item item;
  // Filled after the rounds.
  double predicted = 0;
  bool memoryBound = false;
  Measured m;
  double errPct = 0;
  int checked = 0, checkedOk = 0;
};

template <typename T>
const T* xData(const KernelPoint& p) {
  if constexpr (sizeof(T) == 4) {
    return p.xf.data();
  } else {
    return p.x.data();
  }
}

// Compares 24 sampled outputs with a scalar reference summed in long double.
template <typename T>
bool checkOutputs(KernelPoint* p, const T* w, const T* y) {
  const T* x = xData<T>(*p);
  bool ok = true;
  for (int s = 0; s < 24; ++s) {
    const long r = static_cast<long>((hashValue(s, 7 + p->nb) + 1.0) * 0.5 * p->rows) % p->rows;
    const int j = static_cast<int>((hashValue(s, 9 + p->nb) + 1.0) * 0.5 * p->nb) % p->nb;
    long double ref = 0, mag = 0;
    for (long kk = 0; kk < p->k; ++kk) {
      const long double prod =
          static_cast<long double>(w[gemmWIndex(p->nb, p->elemBytes, p->k, p->panels, r, kk)]) *
          x[gemmXIndex(p->nb, p->k, kk, j)];
      ref += prod;
      mag += std::fabs(prod);
    }
    const T got = y[gemmYIndex(p->nb, p->elemBytes, r, j)];
    const long double eps = sizeof(T) == 4 ? 6e-8L : 1.2e-16L;
    ++p->checked;
    if (std::fabs(static_cast<long double>(got) - ref) <= p->k * eps * mag + 1e-30L) {
      ++p->checkedOk;
    } else {
      ok = false;
      fprintf(stderr, "roofline_host: %s nb=%d Y[%ld][%d] = %.9g, reference %.9Lg\n", p->dtype,
              p->nb, r, j, static_cast<double>(got), ref);
    }
  }
  return ok;
}

template <typename T>
void setUpKernel(KernelPoint* p, const std::vector<int>& cpus, const Weights& w, Buffer* y,
                 long k) {
  constexpr int kElem = static_cast<int>(sizeof(T));
  const long P = gemmRowsPerPanel(p->nb, kElem);
  p->k = k;
  p->blockPanels = gemmPanelsPerBlock(p->nb, kElem);
  p->panels = static_cast<long>(w.bytes / (static_cast<double>(k) * kElem * P));
  p->rows = p->panels * P;
  p->flops = 2.0 * static_cast<double>(p->rows) * k * p->nb;
  // STREAM's count: W read once, Y written once (non-temporal stores); X stays in cache.
  p->bytes = (static_cast<double>(p->rows) * k + static_cast<double>(p->rows) * p->nb) * kElem;
  p->intensity = p->flops / p->bytes;
  const long nx = k * p->nb;
  if constexpr (sizeof(T) == 4) {
    p->xf.resize(nx);
    for (long i = 0; i < nx; ++i)
      p->xf[i] = static_cast<float>(hashValue(i, 100 + p->nb));
  } else {
    p->x.resize(nx);
    for (long i = 0; i < nx; ++i)
      p->x[i] = hashValue(i, 100 + p->nb);
  }
  p->item.name = std::string(p->nb <= 2 ? "gemv" : "gemm") + " nb=" + std::to_string(p->nb);
  p->item.work = p->flops;
  const T* wp = w.buffer.as<T>();
  T* yp = y->as<T>();
  p->item.run = [p, &cpus, wp, yp] {
    return runPinned(cpus, p->threads, [&](int t) {
      long b0, b1;  // whole blocks of panels per thread
      share((p->panels + p->blockPanels - 1) / p->blockPanels, p->threads, t, 1, &b0, &b1);
      const long p0 = b0 * p->blockPanels, p1 = std::min(b1 * p->blockPanels, p->panels);
      bool ok;
      if constexpr (sizeof(T) == 4) {
        ok = gemmF32(wp, xData<T>(*p), yp, p0, p1, p->k, p->nb);
      } else {
        ok = gemmF64(wp, xData<T>(*p), yp, p0, p1, p->k, p->nb);
      }
      if (!ok)
        fprintf(stderr, "roofline_host: kernel refused nb=%d panels %ld..%ld\n", p->nb, p0, p1);
    });
  };
  p->item.verify = [p, wp, yp] { return checkOutputs<T>(p, wp, yp); };
}

// ---- the host as a model device ---------------------------------------------------------------

// STREAM counts a triad element as 24 B (read b, read c, write a); with ordinary stores the
// cache first reads a's line for ownership, so DRAM moves 32 B.
constexpr double kTriadStreamBytes = 24.0;
constexpr double kTriadDramBytes = 32.0;

energy::DeviceSpec hostDevice(int threads, double clockHz, double peakF32, double betaBps) {
  energy::DeviceSpec d;
  snprintf(d.name, sizeof d.name, "host-%dt", threads);
  d.kind = energy::DeviceKind::CpuCluster;
  d.cores = threads;
  d.opps.push_back(energy::Opp{clockHz, 0.0});
  d.flopsPerCycle[static_cast<size_t>(energy::DataType::Fp32)] = peakF32 / (threads * clockHz);
  d.maxBandwidthBps = betaBps;
  d.defaultEta = 1.0;
  return d;
}

const char* threadsLabel(int t) {
  return t == 1 ? ", 1 thread" : ", 2 threads";
}

}  // namespace
}  // namespace qeil::bench::roofline

int main(int argc, char** argv) {
  using namespace qeil;
  using namespace qeil::bench::roofline;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  const auto started = SteadyClock::now();
  const std::string loadStart = readLoadAverage(SysRoot());
  const Machine machine = readMachine();
  const std::vector<int>& cpus = machine.cpus;
  const int maxThreads = static_cast<int>(std::min<size_t>(cpus.size(), 2));
  const int rounds = args.shortMode ? 2 : 7;

  // Working sets (each of: the triad's 3 arrays together, W fp32, W fp64): >= 8x the last-level
  // cache and >= 1 GiB, at most an eighth of the available memory each.
  const double gib = 1024.0 * 1024.0 * 1024.0;
  double bigBytes = std::max(8.0 * machine.llcBytes, 1.0 * gib);
  if (machine.memAvailableBytes > 0) bigBytes = std::min(bigBytes, machine.memAvailableBytes / 8);
  if (args.shortMode) bigBytes = 24.0 * 1024 * 1024;
  const long k = args.shortMode ? 256 : 2048;

  printf("roofline_host: MODEL.md §3 roofline checked against this machine%s\n",
         args.shortMode ? " (--short: tiny sizes, figures not meaningful)" : "");
  printf("  cpu           %s; %zu CPU(s) usable; 1..%d threads pinned to CPU",
         machine.cpuModel.c_str(), cpus.size(), maxThreads);
  for (int t = 0; t < maxThreads; ++t)
    printf(" %d", cpus[t]);
  printf("\n  isa           /proc/cpuinfo: %s; kernels built for %s\n", machine.cpuFlags.c_str(),
         kernelIsa());
  printf("  llc           L%d %.0f MiB; working sets %.2f GiB each (triad a+b+c, W fp32, W fp64)\n",
         machine.llcLevel, machine.llcBytes / 1048576.0, bigBytes / gib);
  printf("  load average  %s at start\n", loadStart.c_str());
  printf("  setting up (first touch of %.1f GiB) ...\n", 3 * bigBytes / gib);
  fflush(stdout);

  // ---- set up every item ----
  std::vector<Item*> items;

  Item clockItem;
  const long clockIters = args.shortMode ? 200000 : 10000000;
  const bool clockMeasured = clockChain(1) >= 0;
  clockItem.name = "core clock";
  clockItem.work = 32.0 * clockIters;
  clockItem.run = [&] { return runPinned(cpus, 1, [&](int) { clockChain(clockIters); }); };
  if (clockMeasured) items.push_back(&clockItem);

  const double peakS = args.shortMode ? 0.02 : 0.25;
  std::vector<Item> peakF32(3), peakF64(3), triadNt(3), triadPlainItems(3), readOnly(3);
  Triad triad;
  triad.n =
      std::max(Triad::kGrain, static_cast<long>(bigBytes / 24.0) / Triad::kGrain * Triad::kGrain);
  triad.a = Buffer(triad.n * sizeof(double));
  triad.b = Buffer(triad.n * sizeof(double));
  triad.c = Buffer(triad.n * sizeof(double));
  Weights w32, w64;
  w32.buffer = Buffer(static_cast<size_t>(bigBytes));
  w32.bytes = bigBytes;
  w32.elemBytes = 4;
  w64.buffer = Buffer(static_cast<size_t>(bigBytes));
  w64.bytes = bigBytes;
  w64.elemBytes = 8;
  const std::vector<std::pair<int, int>> shapes =  // (element bytes, nb)
      args.shortMode ? std::vector<std::pair<int, int>>{{8, 1}, {4, 1}, {4, 16}, {4, 128}}
                     : std::vector<std::pair<int, int>>{{8, 1},  {4, 1},  {4, 2},  {4, 4},  {4, 8},
                                                        {4, 16}, {4, 32}, {4, 64}, {4, 128}};
  int maxNb = 0;
  for (const auto& s : shapes)
    maxNb = std::max(maxNb, s.second);
  Buffer y(static_cast<size_t>(bigBytes / k * maxNb) + (4u << 20));
  if (!triad.a.ok() || !triad.b.ok() || !triad.c.ok() || !w32.buffer.ok() || !w64.buffer.ok() ||
      !y.ok()) {
    fprintf(stderr, "roofline_host: cannot map the working sets\n");
    return 1;
  }
  fillParallel(cpus, maxThreads, triad.pa(), triad.n, 1);
  fillParallel(cpus, maxThreads, triad.pb(), triad.n, 2);
  fillParallel(cpus, maxThreads, triad.pc(), triad.n, 3);
  fillParallel(cpus, maxThreads, w32.buffer.as<float>(), static_cast<long>(bigBytes / 4), 11);
  fillParallel(cpus, maxThreads, w64.buffer.as<double>(), static_cast<long>(bigBytes / 8), 12);

  for (int t = 1; t <= maxThreads; ++t) {
    peakF32[t] = peakItem<float>(cpus, t, peakS);
    peakF64[t] = peakItem<double>(cpus, t, peakS);
    triadNt[t] = triadItem(cpus, t, true, triad);
    triadPlainItems[t] = triadItem(cpus, t, false, triad);
    items.push_back(&peakF32[t]);
    items.push_back(&peakF64[t]);
    items.push_back(&triadNt[t]);
    items.push_back(&triadPlainItems[t]);
    readOnly[t] = readItem(cpus, t, w32.buffer.as<float>(),
                           static_cast<long>(bigBytes / 4) / Triad::kGrain * Triad::kGrain);
    items.push_back(&readOnly[t]);
  }
  std::vector<KernelPoint> points;
  points.reserve(shapes.size() * maxThreads);  // items point into it: no reallocation
  for (int t = 1; t <= maxThreads; ++t) {
    for (const auto& s : shapes) {
      points.emplace_back();
      KernelPoint& p = points.back();
      p.elemBytes = s.first;
      p.dtype = s.first == 4 ? "fp32" : "fp64";
      p.nb = s.second;
      p.threads = t;
      if (s.first == 4) {
        setUpKernel<float>(&p, cpus, w32, &y, k);
      } else {
        setUpKernel<double>(&p, cpus, w64, &y, k);
      }
      items.push_back(&p.item);
    }
  }

  // ---- measure: every item once per round ----
  printf("  measuring: %zu items, %d rounds after a warm-up one ", items.size(), rounds);
  fflush(stdout);
  runRounds(items, rounds);
  bool verified = true;
  for (const Item* item : items)
    verified &= !item->failed;

  // ---- ceilings ----
  double clockHz = 0;
  std::string clockWhat;
  if (clockMeasured) {
    clockHz = summarize(clockItem).best;
    clockWhat = "chain of dependent register adds, 1 cycle each";
  } else if (machine.cpuinfoMHz > 0) {
    clockHz = machine.cpuinfoMHz * 1e6;
    clockWhat = "cpuinfo's cpu MHz";
  } else {
    clockHz = 1e9;
    clockWhat = "unknown: 1 GHz assumed, FLOP/cycle then means FLOP/ns";
  }
  printf(
      "\nceilings: best of %d repetitions, their median and spread = (best - worst) / best; "
      "on-cpu =\nour threads' CPU time / wall time, other = other processes' CPU time, steal = "
      "hypervisor\nsteal, both in %% of all CPUs, during the best repetition\n",
      rounds);
  printf("  core clock    %.3f GHz (%s; /proc/cpuinfo says %.0f MHz)\n", clockHz / 1e9,
         clockWhat.c_str(), machine.cpuinfoMHz);
  double peakF32Best[3] = {}, peakF64Best[3] = {}, triadNtBest[3] = {}, triadPlainBest[3] = {},
         readBest[3] = {}, betaBps[3] = {};
  auto printCeiling = [](const Item& item, int t, double scale, const char* unit) {
    const Measured m = summarize(item);
    printf(
        "  %-27s %dt %7.2f %-7s median %7.2f  spread %4.1f%%  on-cpu %3.0f%%  other %4.1f%%  "
        "steal %3.1f%%\n",
        item.name.c_str(), t, m.best / scale, unit, m.median / scale, m.spreadPct,
        m.bestSample.onCpu * 100.0, m.bestSample.disturbance.otherPct,
        m.bestSample.disturbance.stealPct);
    return m.best;
  };
  for (int t = 1; t <= maxThreads; ++t) {
    peakF32Best[t] = printCeiling(peakF32[t], t, 1e9, "GFLOP/s");
    peakF64Best[t] = printCeiling(peakF64[t], t, 1e9, "GFLOP/s");
    triadNtBest[t] = printCeiling(triadNt[t], t, 1e9, "GB/s");
    triadPlainBest[t] = printCeiling(triadPlainItems[t], t, 1e9, "GB/s");
    readBest[t] = printCeiling(readOnly[t], t, 1e9, "GB/s");
    betaBps[t] = triadPlainBest[t] * kTriadDramBytes / kTriadStreamBytes;
  }
  printf(
      "  triad rates count 24 B per element as STREAM does; beta = plain-store triad x 32 / 24,\n"
      "  its DRAM traffic with the write-allocate read of a[]; the other rates are context\n");

  // ---- the host as a model device, one per thread count ----
  energy::DeviceSpec devices[3];
  printf("\nmodel devices (only the measured ceilings parameterise them; eta = 1)\n");
  for (int t = 1; t <= maxThreads; ++t) {
    devices[t] = hostDevice(t, clockHz, peakF32Best[t], betaBps[t]);
    const energy::DeviceSpec& d = devices[t];
    const double pi = energy::peakFlops(d, d.opps[0], d.cores, energy::DataType::Fp32);
    printf(
        "  %-8s cores %d, opp %.3f GHz, fp32 %.2f FLOP/cycle/core -> pi %.1f GFLOP/s; "
        "beta %.2f GB/s; ridge %.2f FLOP/B\n",
        d.name, d.cores, d.opps[0].freqHz / 1e9,
        d.flopsPerCycle[static_cast<size_t>(energy::DataType::Fp32)], pi / 1e9,
        d.maxBandwidthBps / 1e9, pi / d.maxBandwidthBps);
  }
  printf(
      "  fp64 is not a DataType in energy/soc.h: the fp64 point's compute ceiling is the\n"
      "  measured fp64 FMA peak, given to attainableFlops directly (that point is memory-bound\n"
      "  by far under either ceiling).\n");

  // ---- predictions against measurements ----
  auto computePi = [&](const KernelPoint& p) {
    const energy::DeviceSpec& d = devices[p.threads];
    return p.elemBytes == 4 ? energy::peakFlops(d, d.opps[0], d.cores, energy::DataType::Fp32)
                            : peakF64Best[p.threads];
  };
  std::vector<double> absErrNtBeta;
  for (KernelPoint& p : points) {
    const double pi = computePi(p);
    const double beta = devices[p.threads].maxBandwidthBps;
    p.predicted = energy::attainableFlops(pi, p.intensity, beta);
    p.memoryBound = p.intensity * beta < pi;
    p.m = summarize(p.item);
    p.errPct = (p.m.best - p.predicted) / p.predicted * 100.0;
    const double predictedNt = energy::attainableFlops(pi, p.intensity, triadNtBest[p.threads]);
    absErrNtBeta.push_back(std::fabs(p.m.best - predictedNt) / predictedNt * 100.0);
  }
  std::vector<const KernelPoint*> order;
  order.reserve(points.size());
  for (const KernelPoint& p : points)
    order.push_back(&p);
  std::stable_sort(order.begin(), order.end(), [](const KernelPoint* a, const KernelPoint* b) {
    return a->threads != b->threads ? a->threads < b->threads : a->intensity < b->intensity;
  });
  printf(
      "\nY = W X: W %ld x %ld (%.2f GiB) streamed once, X %ld x nb in cache; best of %d; error = "
      "(measured - predicted) / predicted\n",
      order.empty() ? 0L : order[0]->rows, k, bigBytes / gib, k, rounds);
  printf("%-11s %-4s %3s %8s %-7s %8s %8s %8s %6s %6s %6s %5s %5s %6s\n", "kernel", "type", "thr",
         "I FLOP/B", "bound", "pred", "measured", "median", "spread", "error", "on-cpu", "other",
         "steal", "check");
  printf("%-11s %-4s %3s %8s %-7s %8s %8s %8s %6s %6s %6s %5s %5s %6s\n", "", "", "", "", "",
         "GFLOP/s", "GFLOP/s", "GFLOP/s", "%", "%", "%", "cpu %", "%", "");
  std::vector<double> absErr;
  for (const KernelPoint* p : order) {
    absErr.push_back(std::fabs(p->errPct));
    printf("%-11s %-4s %3d %8.3f %-7s %8.2f %8.2f %8.2f %6.1f %+6.1f %6.0f %5.1f %5.1f %3d/%-3d\n",
           p->item.name.c_str(), p->dtype, p->threads, p->intensity,
           p->memoryBound ? "memory" : "compute", p->predicted / 1e9, p->m.best / 1e9,
           p->m.median / 1e9, p->m.spreadPct, p->errPct, p->m.bestSample.onCpu * 100.0,
           p->m.bestSample.disturbance.otherPct, p->m.bestSample.disturbance.stealPct, p->checkedOk,
           p->checked);
  }
  const double medianErr = medianOf(absErr);
  const double maxErr = absErr.empty() ? 0.0 : *std::max_element(absErr.begin(), absErr.end());
  // Where the error comes from: the same points against the two rates they can reach at best,
  // the read-only stream (memory-bound points) and the FMA peak (compute-bound points). Context
  // only; the model and the target use the ceilings above.
  printf(
      "\nwhere the error comes from (context only, not model inputs; medians over the points):\n"
      "  threads  read-only stream / beta  memory-bound: measured / (I * read-only)  "
      "compute-bound: measured / pi\n");
  for (int t = 1; t <= maxThreads; ++t) {
    std::vector<double> memVsRead, compVsPeak;
    for (const KernelPoint* p : order) {
      if (p->threads != t) continue;
      if (p->memoryBound && p->intensity * betaBps[t] < 0.5 * peakF32Best[t]) {
        memVsRead.push_back(p->m.best / (p->intensity * readBest[t]));
      } else if (!p->memoryBound && p->intensity * betaBps[t] > 2.0 * peakF32Best[t]) {
        compVsPeak.push_back(p->m.best / p->predicted);
      }
    }
    printf("  %-7d  %22.2f  %40.2f  %28.2f\n", t, readBest[t] / betaBps[t], medianOf(memVsRead),
           medianOf(compVsPeak));
  }
  printf(
      "  (memory-bound: I * beta < pi / 2; compute-bound: I * beta > 2 pi; the points between\n"
      "  are the roofline's knee, where the measured curve is rounded below min(pi, I * beta))\n");
  if (gPinFailed) printf("  WARNING: some threads could not be pinned to their CPU\n");
  printf("\n  load average  %s at end; run took %.0f s\n", readLoadAverage(SysRoot()).c_str(),
         secondsSince(started));

  bench::Report report("roofline_host");
  report.info("core clock", clockHz / 1e9, "GHz");
  for (int t = 1; t <= maxThreads; ++t)
    report.info(std::string("peak fp32 FMA") + threadsLabel(t), peakF32Best[t] / 1e9, "GFLOP/s");
  for (int t = 1; t <= maxThreads; ++t)
    report.info(std::string("peak fp64 FMA") + threadsLabel(t), peakF64Best[t] / 1e9, "GFLOP/s");
  report.info("fp32 FLOP/cycle/core, 1 thread", peakF32Best[1] / clockHz, "FLOP/cycle");
  for (int t = 1; t <= maxThreads; ++t)
    report.info(std::string("triad (NT stores)") + threadsLabel(t), triadNtBest[t] / 1e9, "GB/s");
  for (int t = 1; t <= maxThreads; ++t) {
    report.info(std::string("triad (plain stores)") + threadsLabel(t), triadPlainBest[t] / 1e9,
                "GB/s");
  }
  for (int t = 1; t <= maxThreads; ++t)
    report.info(std::string("read-only stream") + threadsLabel(t), readBest[t] / 1e9, "GB/s");
  for (int t = 1; t <= maxThreads; ++t)
    report.info(std::string("beta (plain triad x 32/24)") + threadsLabel(t), betaBps[t] / 1e9,
                "GB/s");
  report.target("median |error|, " + std::to_string(order.size()) + " points", medianErr, "%",
                "<= 15 %", medianErr <= 15.0);
  report.info("max |error|", maxErr, "%");
  report.info("median |error| if beta were the NT triad", medianOf(absErrNtBeta), "%");
  report.target("outputs verified", verified ? 1 : 0, "bool", "1", verified);
  report.print();

  if (!args.resultsDir.empty()) {
    if (!report.writeJson(args.resultsDir)) return 1;
    const std::string path = args.resultsDir + "/roofline_host_points.csv";
    FILE* f = fopen(path.c_str(), "w");
    if (!f) {
      fprintf(stderr, "roofline_host: %s: %s\n", path.c_str(), strerror(errno));
      return 1;
    }
    fprintf(f,
            "kernel,dtype,nb,threads,rows,k,intensity_flop_per_byte,bound,predicted_gflops,"
            "measured_best_gflops,measured_median_gflops,spread_pct,error_pct,on_cpu_pct,"
            "other_cpu_pct,steal_pct,checked_ok,checked\n");
    for (const KernelPoint* p : order) {
      fprintf(f, "%s,%s,%d,%d,%ld,%ld,%.6g,%s,%.6g,%.6g,%.6g,%.3g,%.3g,%.3g,%.3g,%.3g,%d,%d\n",
              p->item.name.c_str(), p->dtype, p->nb, p->threads, p->rows, p->k, p->intensity,
              p->memoryBound ? "memory" : "compute", p->predicted / 1e9, p->m.best / 1e9,
              p->m.median / 1e9, p->m.spreadPct, p->errPct, p->m.bestSample.onCpu * 100.0,
              p->m.bestSample.disturbance.otherPct, p->m.bestSample.disturbance.stealPct,
              p->checkedOk, p->checked);
    }
    const bool ok = fclose(f) == 0;
    if (ok) printf("  results: %s\n", path.c_str());
    if (!ok) return 1;
  }
  return verified ? 0 : 1;
}
