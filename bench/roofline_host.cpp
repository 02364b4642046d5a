// bench/roofline_host: MODEL.md §3 (DASI) checked against hardware nobody here designed, the
// machine that built the bench.
//   1. Measures the two roofline ceilings: peak FLOP/s (independent vector FMA chains, one pinned
//      thread per core) and DRAM bandwidth (STREAM triad on arrays >= 8x the last-level cache),
//      for 1 and 2 threads.
//   2. Builds the host as a model device per thread count: cores = threads, one Opp at the
//      measured core clock, flopsPerCycle[Fp32] = measured peak / (cores * clock),
//      maxBandwidthBps = measured triad bandwidth, eta = 1. Nothing else parameterises it.
//   3. Runs Y = W X over arithmetic intensities 0.25..64 FLOP/byte: W (rows x K) streamed once
//      from DRAM, X (K x nb) kept in cache, so each weight does 2 * nb FLOP; GEMV-like for
//      nb 1-2, GEMM-like (register-blocked) above; 1 and 2 threads. Prints the model's
//      attainableFlops(peakFlops(...), I, beta) beside the measured rate, with the signed error.
// Byte counting is STREAM's: each array element read or written counts once. The triad that
// sets beta and the kernels' Y both use non-temporal stores, so no write-allocate traffic is
// uncounted on either side (a plain-store triad, which does cause it, is shown for reference).
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
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/support/bench_report.h"
#include "energy/roofline.h"
#include "energy/soc.h"

// Kernels: roofline_host_kernels.cpp, compiled for this machine's ISA (-march=native).
namespace qeil::bench::roofline {
const char* kernelIsa();
int kernelVectorBytes();
int peakChains();
float fmaPeakF32(long iters);
double fmaPeakF64(long iters);
void triadPlain(double* a, const double* b, const double* c, double s, long n);
void triadStream(double* a, const double* b, const double* c, double s, long n);
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

std::string readFirstLine(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return "";
  char buf[256] = {};
  if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
  fclose(f);
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

long parseCacheSize(const std::string& s) {  // "307200K", "2048K", "32M"
  if (s.empty()) return 0;
  long v = strtol(s.c_str(), nullptr, 10);
  switch (s.back()) {
    case 'K': return v * 1024;
    case 'M': return v * 1024 * 1024;
    case 'G': return v * 1024 * 1024 * 1024;
    default: return v;
  }
}

Machine readMachine() {
  Machine m;
  if (FILE* f = fopen("/proc/cpuinfo", "r")) {
    char line[4096];
    bool haveModel = false, haveFlags = false, haveMHz = false;
    while (fgets(line, sizeof line, f)) {
      const char* colon = strchr(line, ':');
      if (!colon) continue;
      std::string value(colon + 1);
      while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
        value.pop_back();
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (!haveModel && strncmp(line, "model name", 10) == 0) {
        m.cpuModel = value;
        haveModel = true;
      } else if (!haveMHz && strncmp(line, "cpu MHz", 7) == 0) {
        m.cpuinfoMHz = atof(value.c_str());
        haveMHz = true;
      } else if (!haveFlags &&
                 (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0)) {
        haveFlags = true;
        const std::string padded = " " + value + " ";
        for (const char* flag : {"sse2", "avx", "avx2", "fma", "avx512f", "avx512_fp16", "asimd",
                                 "sve"}) {
          if (padded.find(std::string(" ") + flag + " ") != std::string::npos) {
            if (!m.cpuFlags.empty()) m.cpuFlags += ' ';
            m.cpuFlags += flag;
          }
        }
      }
    }
    fclose(f);
  }
  for (int i = 0; i < 16; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i);
    const std::string type = readFirstLine(dir + "/type");
    if (type.empty()) continue;
    if (type == "Instruction") continue;
    const int level = atoi(readFirstLine(dir + "/level").c_str());
    const long size = parseCacheSize(readFirstLine(dir + "/size"));
    if (level > m.llcLevel || (level == m.llcLevel && size > m.llcBytes)) {
      m.llcLevel = level;
      m.llcBytes = size;
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
  if (FILE* f = fopen("/proc/meminfo", "r")) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      long kb = 0;
      if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1) m.memAvailableBytes = kb * 1024.0;
    }
    fclose(f);
  }
  return m;
}

// ---- disturbance: other processes' CPU time, VM steal time, load average -------------------

struct CpuTimes {
  double busy = 0, total = 0, steal = 0, self = 0;  // jiffies, all CPUs
};

CpuTimes readCpuTimes() {
  CpuTimes t;
  if (FILE* f = fopen("/proc/stat", "r")) {
    double v[10] = {};
    if (fscanf(f, "cpu %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &v[6], &v[7]) == 8) {
      t.busy = v[0] + v[1] + v[2] + v[5] + v[6];  // user nice system irq softirq
      t.steal = v[7];
      t.total = t.busy + v[3] + v[4] + v[7];  // + idle iowait steal
    }
    fclose(f);
  }
  if (FILE* f = fopen("/proc/self/stat", "r")) {
    char buf[1024] = {};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const char* p = strrchr(buf, ')');
    if (p) {
      double utime = 0, stime = 0;
      if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lf %lf", &utime, &stime) == 2)
        t.self = utime + stime;
    }
  }
  return t;
}

struct Disturbance {
  double otherPct = 0;  // CPU time of other processes, % of all CPUs
  double stealPct = 0;  // time the hypervisor ran something else, % of all CPUs
};

Disturbance disturbanceBetween(const CpuTimes& a, const CpuTimes& b) {
  Disturbance d;
  const double total = b.total - a.total;
  if (total <= 0) return d;
  d.otherPct = std::max(0.0, (b.busy - a.busy) - (b.self - a.self)) / total * 100.0;
  d.stealPct = (b.steal - a.steal) / total * 100.0;
  return d;
}

std::string loadAverage() {
  std::string s = readFirstLine("/proc/loadavg");
  // "0.17 1.14 1.72 3/84 8522": keep the three averages.
  size_t cut = 0;
  for (int fields = 0; fields < 3 && cut != std::string::npos; ++fields)
    cut = s.find(' ', cut + 1);
  return cut == std::string::npos ? s : s.substr(0, cut);
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
    uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kAlign - 1) & ~(kAlign - 1);
    data_ = reinterpret_cast<void*>(a);
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
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
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

// [begin, end) of thread t's share of n items, in multiples of `grain`.
void share(long n, int threads, int t, long grain, long* begin, long* end) {
  const long units = n / grain;
  *begin = units * t / threads * grain;
  *end = units * (t + 1) / threads * grain;
}

// ---- repeated measurement ------------------------------------------------------------------

struct Measured {
  double best = 0, median = 0, worst = 0;  // rate = work / seconds, over the timed repetitions
  double onCpuBest = 0;                    // Timing::onCpu of the best repetition
  Disturbance disturbance;
};

// One untimed warm-up run, then `reps` timed runs of once() (which returns a Timing).
template <typename F>
Measured measure(int reps, double work, F once) {
  once();
  std::vector<std::pair<double, double>> runs;  // rate, onCpu
  const CpuTimes before = readCpuTimes();
  for (int r = 0; r < reps; ++r) {
    const Timing t = once();
    runs.emplace_back(work / t.seconds, t.onCpu);
  }
  const CpuTimes after = readCpuTimes();
  std::sort(runs.begin(), runs.end());
  Measured m;
  m.best = runs.back().first;
  m.onCpuBest = runs.back().second;
  m.worst = runs.front().first;
  const size_t n = runs.size();
  m.median = n % 2 ? runs[n / 2].first : 0.5 * (runs[n / 2 - 1].first + runs[n / 2].first);
  m.disturbance = disturbanceBetween(before, after);
  return m;
}

double spreadPct(const Measured& m) { return (m.best - m.worst) / m.best * 100.0; }

// Deterministic values in [-1, 1) (multiples of 2^-23: never denormal, never NaN).
inline double hashValue(uint64_t i, uint64_t seed) {
  uint64_t z = i * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 40) / static_cast<double>(1ull << 23) - 1.0;
}

template <typename T>
void fillParallel(const std::vector<int>& cpus, T* p, long n, uint64_t seed) {
  const int threads = static_cast<int>(std::min<size_t>(cpus.size(), 2));
  runPinned(cpus, threads, [&](int t) {
    long b, e;
    share(n, threads, t, 1, &b, &e);
    for (long i = b; i < e; ++i)
      p[i] = static_cast<T>(hashValue(static_cast<uint64_t>(i), seed));
  });
}

// ---- the ceilings ----------------------------------------------------------------------------

struct Ceilings {
  double peakF32[3] = {};         // FLOP/s by thread count (index 1, 2)
  double peakF64[3] = {};
  double triadStreamBps[3] = {};  // bytes/s, STREAM count, non-temporal stores: the model's beta
  double triadPlainBps[3] = {};   // bytes/s, STREAM count, plain stores (write-allocate uncounted)
  Measured peakF32M[3], peakF64M[3], triadStreamM[3], triadPlainM[3];
  double clockHz = 0;
  std::string clockSource;
  long triadElems = 0;
  bool ok = true;
};

template <typename T>
Measured measurePeak(const std::vector<int>& cpus, int threads, bool shortMode) {
  auto run = [&](long iters) {
    std::vector<double> sink(threads);
    const Timing timing = runPinned(cpus, threads, [&](int t) {
      sink[t] = static_cast<double>(sizeof(T) == 4 ? fmaPeakF32(iters) : fmaPeakF64(iters));
    });
    for (double v : sink) {
      if (!(std::isfinite(v) && v > 0)) fprintf(stderr, "roofline_host: FMA chain result %g\n", v);
    }
    return timing;
  };
  // Size the run to about 0.25 s (20 ms in short mode) from a 2^20-iteration probe.
  const long probe = 1L << 20;
  const double probeS = run(probe).seconds;
  const double targetS = shortMode ? 0.02 : 0.25;
  const long iters = std::max(probe, static_cast<long>(probe * targetS / probeS));
  const int lanes = kernelVectorBytes() / static_cast<int>(sizeof(T));
  const double flops = 2.0 * threads * static_cast<double>(iters) * peakChains() * lanes;
  return measure(shortMode ? 2 : 7, flops, [&] { return run(iters); });
}

void measureClock(const Machine& machine, bool shortMode, Ceilings* c) {
  const long iters = shortMode ? 200000 : 10000000;
  if (clockChain(1) < 0) {
    c->clockHz = machine.cpuinfoMHz > 0 ? machine.cpuinfoMHz * 1e6 : 1e9;
    c->clockSource = machine.cpuinfoMHz > 0 ? "/proc/cpuinfo cpu MHz" : "none: 1 GHz assumed";
    return;
  }
  Measured m = measure(5, 32.0 * iters, [&] {
    return runPinned(machine.cpus, 1, [&](int) { clockChain(iters); });
  });
  c->clockHz = m.best;
  c->clockSource = "chain of dependent integer adds (1 cycle each)";
}

void measureTriad(const Machine& machine, double totalBytes, bool shortMode, Ceilings* c) {
  const long grain = 4096;  // elements: keeps every thread's chunk vector- and line-aligned
  const long n = std::max(grain, static_cast<long>(totalBytes / 24.0) / grain * grain);
  c->triadElems = n;
  Buffer ab(n * sizeof(double)), bb(n * sizeof(double)), cb(n * sizeof(double));
  if (!ab.ok() || !bb.ok() || !cb.ok()) {
    fprintf(stderr, "roofline_host: cannot map 3 x %ld doubles for the triad\n", n);
    c->ok = false;
    return;
  }
  double* a = ab.as<double>();
  double* b = bb.as<double>();
  double* cc = cb.as<double>();
  const double s = 3.0;
  fillParallel(machine.cpus, a, n, 1);
  fillParallel(machine.cpus, b, n, 2);
  fillParallel(machine.cpus, cc, n, 3);
  const int reps = shortMode ? 2 : 10;  // STREAM's NTIMES
  const double bytes = 24.0 * n;        // STREAM: read b, read c, write a
  const int maxThreads = static_cast<int>(std::min<size_t>(machine.cpus.size(), 2));
  for (int threads = 1; threads <= maxThreads; ++threads) {
    for (int nt = 0; nt < 2; ++nt) {
      Measured m = measure(reps, bytes, [&] {
        return runPinned(machine.cpus, threads, [&](int t) {
          long lo, hi;
          share(n, threads, t, grain, &lo, &hi);
          if (nt)
            triadStream(a + lo, b + lo, cc + lo, s, hi - lo);
          else
            triadPlain(a + lo, b + lo, cc + lo, s, hi - lo);
        });
      });
      (nt ? c->triadStreamM : c->triadPlainM)[threads] = m;
      (nt ? c->triadStreamBps : c->triadPlainBps)[threads] = m.best;
      for (long i = 0; i < n; i += n / 997 + 1) {  // verify a sample
        const double want = b[i] + s * cc[i];
        if (std::fabs(a[i] - want) > 1e-14 * (std::fabs(want) + 1.0)) {
          fprintf(stderr, "roofline_host: triad a[%ld] = %.17g, want %.17g\n", i, a[i], want);
          c->ok = false;
          break;
        }
      }
    }
  }
}

// ---- the host as a model device ---------------------------------------------------------------

energy::DeviceSpec hostDevice(const Ceilings& c, int threads) {
  energy::DeviceSpec d;
  snprintf(d.name, sizeof d.name, "host-%dt", threads);
  d.kind = energy::DeviceKind::CpuCluster;
  d.cores = threads;
  d.opps.push_back(energy::Opp{c.clockHz, 0.0});
  d.flopsPerCycle[static_cast<size_t>(energy::DataType::Fp32)] =
      c.peakF32[threads] / (threads * c.clockHz);
  d.maxBandwidthBps = c.triadStreamBps[threads];
  d.defaultEta = 1.0;
  return d;
}

// ---- Y = W X across intensities ---------------------------------------------------------------

struct Point {
  const char* dtype;
  int elemBytes;
  int nb;
};

struct Row {
  std::string kernel;
  const char* dtype;
  int nb;
  int tileCols;
  int panelRows;
  int threads;
  long rows;
  double intensity;
  double predicted;
  bool memoryBound;
  Measured m;
  double errPct;
  int checked;
  int checkedOk;
};

template <typename T>
struct GemmRig {
  const Machine& machine;
  long k;
  double weightBytes;
  Buffer w, x, y;
  bool initialised = false;

  GemmRig(const Machine& mach, long kk, double wBytes, double maxYBytes, double maxXBytes)
      : machine(mach),
        k(kk),
        weightBytes(wBytes),
        w(static_cast<size_t>(wBytes)),
        x(static_cast<size_t>(maxXBytes)),
        y(static_cast<size_t>(maxYBytes)) {}
  bool ok() const { return w.ok() && x.ok() && y.ok(); }

  static bool kernel(const T* w, const T* x, T* y, long p0, long p1, long k, int nb) {
    if constexpr (sizeof(T) == 4)
      return gemmF32(w, x, y, p0, p1, k, nb);
    else
      return gemmF64(w, x, y, p0, p1, k, nb);
  }

  // Runs one point; fills everything in `row` but the prediction.
  bool run(int nb, int threads, int reps, Row* row) {
    constexpr int kElem = static_cast<int>(sizeof(T));
    const long P = gemmRowsPerPanel(nb, kElem);
    const long G = gemmPanelsPerBlock(nb, kElem);
    const long panels = static_cast<long>(weightBytes / (static_cast<double>(k) * sizeof(T) * P));
    const long rows = panels * P;
    if (!initialised) {  // all of W, whatever the panel size: values are i.i.d., no layout
      fillParallel(machine.cpus, w.as<T>(), static_cast<long>(weightBytes / sizeof(T)), 11);
      initialised = true;
    }
    T* wp = w.as<T>();
    T* xp = x.as<T>();
    T* yp = y.as<T>();
    fillParallel(machine.cpus, xp, k * nb, 100 + nb);
    const double flops = 2.0 * static_cast<double>(rows) * k * nb;
    const double bytes = (static_cast<double>(rows) * k + static_cast<double>(rows) * nb) * sizeof(T);
    bool kernelOk = true;
    row->m = measure(reps, flops, [&] {
      return runPinned(machine.cpus, threads, [&](int t) {
        long p0, p1;  // whole blocks of G panels per thread
        share((panels + G - 1) / G, threads, t, 1, &p0, &p1);
        if (!kernel(wp, xp, yp, p0 * G, std::min(p1 * G, panels), k, nb)) kernelOk = false;
      });
    });
    row->nb = nb;
    row->tileCols = gemmTileColsFor(nb);
    row->panelRows = static_cast<int>(P);
    row->threads = threads;
    row->rows = rows;
    row->intensity = flops / bytes;
    // Check sampled outputs against a scalar reference summed in long double.
    row->checked = 0;
    row->checkedOk = 0;
    for (int s = 0; s < 24 && kernelOk; ++s) {
      const long r = static_cast<long>((hashValue(s, 7 + nb) + 1.0) * 0.5 * rows) % rows;
      const int j = static_cast<int>((hashValue(s, 9 + nb) + 1.0) * 0.5 * nb) % nb;
      long double ref = 0, mag = 0;
      for (long kk = 0; kk < k; ++kk) {
        const long double prod =
            static_cast<long double>(wp[gemmWIndex(nb, kElem, k, panels, r, kk)]) *
            xp[gemmXIndex(nb, k, kk, j)];
        ref += prod;
        mag += std::fabs(prod);
      }
      const T got = yp[gemmYIndex(nb, kElem, r, j)];
      const long double eps = sizeof(T) == 4 ? 6e-8L : 1.2e-16L;
      ++row->checked;
      if (std::fabs(static_cast<long double>(got) - ref) <= k * eps * mag + 1e-30L)
        ++row->checkedOk;
      else
        fprintf(stderr, "roofline_host: %s nb=%d Y[%ld][%d] = %.9g, reference %.9Lg\n",
                row->dtype, nb, r, j, static_cast<double>(got), ref);
    }
    return kernelOk && row->checked == row->checkedOk;
  }
};

std::string kernelName(int nb) {
  return std::string(nb <= 2 ? "gemv" : "gemm") + " nb=" + std::to_string(nb);
}

}  // namespace
}  // namespace qeil::bench::roofline

int main(int argc, char** argv) {
  using namespace qeil;
  using namespace qeil::bench::roofline;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  const auto started = SteadyClock::now();
  const std::string loadStart = loadAverage();
  Machine machine = readMachine();
  const int maxThreads = static_cast<int>(std::min<size_t>(machine.cpus.size(), 2));

  // Working sets: >= 8x the last-level cache and >= 1 GiB, at most a quarter of free memory.
  const double gib = 1024.0 * 1024.0 * 1024.0;
  double bigBytes = std::max(8.0 * machine.llcBytes, 1.0 * gib);
  if (machine.memAvailableBytes > 0) bigBytes = std::min(bigBytes, machine.memAvailableBytes / 4);
  if (args.shortMode) bigBytes = 24.0 * 1024 * 1024;
  const long k = args.shortMode ? 256 : 2048;

  printf("roofline_host: MODEL.md §3 roofline checked against this machine%s\n",
         args.shortMode ? " (--short: tiny sizes, figures not meaningful)" : "");
  printf("  cpu           %s; %zu CPU(s) usable, using 1..%d threads pinned to CPUs", machine.cpuModel.c_str(),
         machine.cpus.size(), maxThreads);
  for (int t = 0; t < maxThreads; ++t)
    printf(" %d", machine.cpus[t]);
  printf("\n  isa           /proc/cpuinfo: %s; kernels built for: %s\n", machine.cpuFlags.c_str(),
         kernelIsa());
  printf("  llc           L%d %.0f MiB; working sets %.2f GiB (triad: 3 arrays; kernels: W)\n",
         machine.llcLevel, machine.llcBytes / 1048576.0, bigBytes / gib);
  printf("  load average  %s at start\n", loadStart.c_str());
  fflush(stdout);

  // 1. Ceilings.
  Ceilings ceil;
  measureClock(machine, args.shortMode, &ceil);
  for (int t = 1; t <= maxThreads; ++t) {
    ceil.peakF32M[t] = measurePeak<float>(machine.cpus, t, args.shortMode);
    ceil.peakF32[t] = ceil.peakF32M[t].best;
    ceil.peakF64M[t] = measurePeak<double>(machine.cpus, t, args.shortMode);
    ceil.peakF64[t] = ceil.peakF64M[t].best;
  }
  measureTriad(machine, bigBytes, args.shortMode, &ceil);
  if (!ceil.ok) return 1;

  printf("\nceilings: best of the repetitions, their median and spread = (best - worst) / best;\n"
         "on-cpu = our threads' CPU time / wall time in the best one (< 100 %%: preempted); other =\n"
         "CPU time of other processes, steal = hypervisor steal, in %% of all CPUs over the point\n");
  printf("  core clock    %.3f GHz (%s; /proc/cpuinfo says %.0f MHz)\n", ceil.clockHz / 1e9,
         ceil.clockSource.c_str(), machine.cpuinfoMHz);
  auto printCeiling = [](const char* what, int t, const Measured& m, double scale,
                         const char* unit) {
    printf("  %-27s %dt %7.2f %-7s median %7.2f  spread %4.1f%%  on-cpu %3.0f%%  other %4.1f%%  "
           "steal %3.1f%%\n",
           what, t, m.best / scale, unit, m.median / scale, spreadPct(m), m.onCpuBest * 100.0,
           m.disturbance.otherPct, m.disturbance.stealPct);
  };
  for (int t = 1; t <= maxThreads; ++t) {
    printCeiling("peak fp32 FMA", t, ceil.peakF32M[t], 1e9, "GFLOP/s");
    printCeiling("peak fp64 FMA", t, ceil.peakF64M[t], 1e9, "GFLOP/s");
    printCeiling("triad, non-temporal stores", t, ceil.triadStreamM[t], 1e9, "GB/s");
    printCeiling("triad, plain stores", t, ceil.triadPlainM[t], 1e9, "GB/s");
  }

  // 2. The host as a model device, one per thread count.
  energy::DeviceSpec devices[3];
  printf("\nmodel devices (only the measured ceilings parameterise them; eta = 1)\n");
  for (int t = 1; t <= maxThreads; ++t) {
    devices[t] = hostDevice(ceil, t);
    const energy::DeviceSpec& d = devices[t];
    const double pi = energy::peakFlops(d, d.opps[0], d.cores, energy::DataType::Fp32);
    printf("  %-8s cores %d, opp %.3f GHz, fp32 %.2f FLOP/cycle/core -> pi %.1f GFLOP/s; "
           "beta %.2f GB/s; ridge %.2f FLOP/B\n",
           d.name, d.cores, d.opps[0].freqHz / 1e9,
           d.flopsPerCycle[static_cast<size_t>(energy::DataType::Fp32)], pi / 1e9,
           d.maxBandwidthBps / 1e9, pi / d.maxBandwidthBps);
  }
  printf("  fp64 is not a DataType in energy/soc.h: the fp64 point's compute ceiling is the\n"
         "  measured fp64 FMA peak, given to attainableFlops directly (that point is memory-bound\n"
         "  by far under either ceiling).\n");
  fflush(stdout);

  // 3. Kernels across intensity.
  const std::vector<Point> points =
      args.shortMode
          ? std::vector<Point>{{"fp64", 8, 1}, {"fp32", 4, 1}, {"fp32", 4, 16}, {"fp32", 4, 128}}
          : std::vector<Point>{{"fp64", 8, 1},  {"fp32", 4, 1},  {"fp32", 4, 2},
                               {"fp32", 4, 4},  {"fp32", 4, 8},  {"fp32", 4, 16},
                               {"fp32", 4, 32}, {"fp32", 4, 64}, {"fp32", 4, 128}};
  int maxNb = 0;
  for (const Point& p : points)
    maxNb = std::max(maxNb, p.nb);
  const double maxYBytes = bigBytes / k * maxNb + (1 << 20);
  const double maxXBytes = static_cast<double>(k) * maxNb * 8;
  const int reps = args.shortMode ? 2 : 5;
  std::vector<Row> rows;
  bool verified = true;
  {
    GemmRig<double> rig64(machine, k, bigBytes, maxYBytes, maxXBytes);
    if (!rig64.ok()) {
      fprintf(stderr, "roofline_host: cannot map the kernels' buffers\n");
      return 1;
    }
    for (const Point& p : points) {
      if (p.elemBytes != 8) continue;
      for (int t = 1; t <= maxThreads; ++t) {
        Row row{};
        row.kernel = kernelName(p.nb);
        row.dtype = p.dtype;
        verified &= rig64.run(p.nb, t, reps, &row);
        row.predicted = energy::attainableFlops(ceil.peakF64[t], row.intensity,
                                                devices[t].maxBandwidthBps);
        row.memoryBound = row.intensity * devices[t].maxBandwidthBps < ceil.peakF64[t];
        rows.push_back(row);
      }
    }
  }
  {
    GemmRig<float> rig32(machine, k, bigBytes, maxYBytes, maxXBytes);
    if (!rig32.ok()) {
      fprintf(stderr, "roofline_host: cannot map the kernels' buffers\n");
      return 1;
    }
    for (const Point& p : points) {
      if (p.elemBytes != 4) continue;
      for (int t = 1; t <= maxThreads; ++t) {
        Row row{};
        row.kernel = kernelName(p.nb);
        row.dtype = p.dtype;
        verified &= rig32.run(p.nb, t, reps, &row);
        const energy::DeviceSpec& d = devices[t];
        const double pi = energy::peakFlops(d, d.opps[0], d.cores, energy::DataType::Fp32);
        row.predicted = energy::attainableFlops(pi, row.intensity, d.maxBandwidthBps);
        row.memoryBound = row.intensity * d.maxBandwidthBps < pi;
        rows.push_back(row);
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.threads != b.threads ? a.threads < b.threads : a.intensity < b.intensity;
  });

  printf("\nY = W X, W %ld x %ld streamed once (%.2f GiB), X %ld x nb in cache; best of %d after a "
         "warm-up\n",
         rows.empty() ? 0L : rows[0].rows, k, bigBytes / gib, k, reps);
  printf("%-11s %-4s %3s %8s %-7s %8s %8s %8s %6s %6s %6s %5s %5s %5s\n", "kernel", "type",
         "thr", "I FLOP/B", "bound", "pred", "measured", "median", "spread", "error", "on-cpu",
         "other", "steal", "check");
  printf("%-11s %-4s %3s %8s %-7s %8s %8s %8s %6s %6s %6s %5s %5s %5s\n", "", "", "", "", "",
         "GFLOP/s", "GFLOP/s", "GFLOP/s", "%", "%", "%", "cpu %", "%", "");
  std::vector<double> absErr;
  for (Row& r : rows) {
    r.errPct = (r.m.best - r.predicted) / r.predicted * 100.0;
    absErr.push_back(std::fabs(r.errPct));
    printf("%-11s %-4s %3d %8.3f %-7s %8.2f %8.2f %8.2f %6.1f %+6.1f %6.0f %5.1f %5.1f %2d/%-2d\n",
           r.kernel.c_str(), r.dtype, r.threads, r.intensity, r.memoryBound ? "memory" : "compute",
           r.predicted / 1e9, r.m.best / 1e9, r.m.median / 1e9, spreadPct(r.m), r.errPct,
           r.m.onCpuBest * 100.0, r.m.disturbance.otherPct, r.m.disturbance.stealPct, r.checkedOk,
           r.checked);
  }
  std::vector<double> sorted = absErr;
  std::sort(sorted.begin(), sorted.end());
  double medianErr = 0, maxErr = 0;
  if (!sorted.empty()) {
    const size_t n = sorted.size();
    medianErr = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    maxErr = sorted.back();
  }
  const std::string loadEnd = loadAverage();
  printf("\n  load average  %s at end; run took %.0f s\n", loadEnd.c_str(), secondsSince(started));

  bench::Report report("roofline_host");
  report.info("core clock", ceil.clockHz / 1e9, "GHz");
  for (int t = 1; t <= maxThreads; ++t) {
    const std::string th = t == 1 ? ", 1 thread" : ", 2 threads";
    report.info("peak fp32 FMA" + th, ceil.peakF32[t] / 1e9, "GFLOP/s");
  }
  for (int t = 1; t <= maxThreads; ++t) {
    const std::string th = t == 1 ? ", 1 thread" : ", 2 threads";
    report.info("peak fp64 FMA" + th, ceil.peakF64[t] / 1e9, "GFLOP/s");
  }
  report.info("fp32 FLOP/cycle/core, 1 thread", ceil.peakF32[1] / ceil.clockHz, "FLOP/cycle");
  for (int t = 1; t <= maxThreads; ++t) {
    const std::string th = t == 1 ? ", 1 thread" : ", 2 threads";
    report.info("triad (NT stores)" + th, ceil.triadStreamBps[t] / 1e9, "GB/s");
  }
  for (int t = 1; t <= maxThreads; ++t) {
    const std::string th = t == 1 ? ", 1 thread" : ", 2 threads";
    report.info("triad (plain stores)" + th, ceil.triadPlainBps[t] / 1e9, "GB/s");
  }
  report.target("median |error|, " + std::to_string(rows.size()) + " points", medianErr, "%",
                "<= 15 %", medianErr <= 15.0);
  report.info("max |error|", maxErr, "%");
  report.target("kernel outputs verified", verified ? 1 : 0, "bool", "1", verified);
  report.print();

  if (!args.resultsDir.empty()) {
    if (!report.writeJson(args.resultsDir)) return 1;
    const std::string path = args.resultsDir + "/roofline_host_points.csv";
    if (FILE* f = fopen(path.c_str(), "w")) {
      fprintf(f, "kernel,dtype,nb,threads,rows,k,intensity_flop_per_byte,bound,"
                 "predicted_gflops,measured_best_gflops,measured_median_gflops,spread_pct,"
                 "error_pct,on_cpu_pct,other_cpu_pct,steal_pct,checked_ok\n");
      for (const Row& r : rows) {
        fprintf(f, "%s,%s,%d,%d,%ld,%ld,%.6g,%s,%.6g,%.6g,%.6g,%.3g,%.3g,%.3g,%.3g,%.3g,%d/%d\n",
                r.kernel.c_str(), r.dtype, r.nb, r.threads, r.rows, k, r.intensity,
                r.memoryBound ? "memory" : "compute", r.predicted / 1e9, r.m.best / 1e9,
                r.m.median / 1e9, spreadPct(r.m), r.errPct, r.m.onCpuBest * 100.0,
                r.m.disturbance.otherPct, r.m.disturbance.stealPct, r.checkedOk, r.checked);
      }
      fclose(f);
      printf("  results: %s\n", path.c_str());
    } else {
      fprintf(stderr, "roofline_host: %s: %s\n", path.c_str(), strerror(errno));
      return 1;
    }
  }
  return verified ? 0 : 1;
}
