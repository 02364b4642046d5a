// bench/roofline_host kernels: the code whose speed is measured. This file alone is compiled with
// -O3 -march=native -ffp-contract=fast (bench/CMakeLists.txt): the bench runs on the machine
// that built it. It uses GCC vector extensions sized to the widest vector the target has, so it
// also builds on a non-x86 host; x86 intrinsics are used only for non-temporal stores, inline
// assembly only for the clock chain. It includes no header that defines inline functions or
// templates shared with the rest of the program, so nothing compiled for this ISA can be picked by
// the linker for code compiled without it. Declarations: the "kernels" block of roofline_host.cpp.
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace qeil::bench::roofline {
namespace {

#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kVectorRegs = 32;
#elif defined(__AVX__)
constexpr int kVectorBytes = 32;
constexpr int kVectorRegs = 16;
#elif defined(__aarch64__)
constexpr int kVectorBytes = 16;
constexpr int kVectorRegs = 32;
#else
constexpr int kVectorBytes = 16;
constexpr int kVectorRegs = 16;
#endif

// Independent FMA chains in the peak kernel: FMA latency (4 cycles) times FMA ports (2) is 8;
// 12 leaves margin and still fits 16 registers with the two constants.
constexpr int kPeakChains = 12;
// Accumulator registers the GEMM tile may use: three quarters of the register file, the rest
// holds the weight vectors and the broadcast operand.
constexpr int kAccBudget = kVectorRegs * 3 / 4;

template <typename T>
struct Vec {
  typedef T type __attribute__((vector_size(kVectorBytes), aligned(kVectorBytes), may_alias));
  static constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(T));
};

template <typename T>
using VecT = typename Vec<T>::type;

// A scalar broadcast to every lane: scalar - vector (a GCC vector extension) is one broadcast
// instruction; a lane-by-lane loop is not always (GCC 12 builds it from 256-bit halves).
template <typename T>
inline VecT<T> splat(T v) {
  return v - VecT<T>{};  // x - (+0) == x for every x, -0 included: only the broadcast is left
}

template <typename T>
inline void storeStream(T* p, VecT<T> v) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    _mm512_stream_ps(reinterpret_cast<float*>(p), reinterpret_cast<__m512&>(v));
  } else {
    _mm512_stream_pd(reinterpret_cast<double*>(p), reinterpret_cast<__m512d&>(v));
  }
#elif defined(__AVX__)
  if constexpr (sizeof(T) == 4) {
    _mm256_stream_ps(reinterpret_cast<float*>(p), reinterpret_cast<__m256&>(v));
  } else {
    _mm256_stream_pd(reinterpret_cast<double*>(p), reinterpret_cast<__m256d&>(v));
  }
#elif defined(__SSE2__)
  if constexpr (sizeof(T) == 4) {
    _mm_stream_ps(reinterpret_cast<float*>(p), reinterpret_cast<__m128&>(v));
  } else {
    _mm_stream_pd(reinterpret_cast<double*>(p), reinterpret_cast<__m128d&>(v));
  }
#else
  *reinterpret_cast<VecT<T>*>(p) = v;  // no non-temporal store here: a plain one
#endif
}

inline void storeFence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// ---- peak: kPeakChains independent vector FMA chains, acc = acc * m + a ----------------------
// m < 1 makes every chain converge to a / (1 - m) (about 1), so no value overflows or becomes
// denormal however long it runs; the compiler cannot fold the chains away.
template <typename T>
T fmaPeak(long iters) {
  VecT<T> acc[kPeakChains];
  for (int i = 0; i < kPeakChains; ++i)
    acc[i] = splat<T>(static_cast<T>(0.001 * (i + 1)));
  const VecT<T> m = splat<T>(static_cast<T>(0.999999));
  const VecT<T> a = splat<T>(static_cast<T>(1e-6));
  for (long it = 0; it < iters; ++it) {
    for (int i = 0; i < kPeakChains; ++i)
      acc[i] = acc[i] * m + a;
  }
  T sum = 0;
  for (int i = 0; i < kPeakChains; ++i) {
    for (int l = 0; l < Vec<T>::kLanes; ++l)
      sum += acc[i][l];
  }
  return sum;
}

// ---- STREAM triad a[i] = b[i] + s * c[i] ------------------------------------------------------
void triadPlainKernel(double* a, const double* b, const double* c, double s, long n) {
  for (long i = 0; i < n; ++i)
    a[i] = b[i] + s * c[i];
}

// Non-temporal stores: `a` is written without being read into the cache first (no
// write-allocate), so the 24 bytes STREAM counts per element are the bytes DRAM moves.
// a, b, c aligned to kVectorBytes; n a multiple of the lanes.
void triadStreamKernel(double* a, const double* b, const double* c, double s, long n) {
  using V = VecT<double>;
  constexpr int L = Vec<double>::kLanes;
  const V sv = splat<double>(s);
  for (long i = 0; i < n; i += L) {
    const V bv = *reinterpret_cast<const V*>(b + i);
    const V cv = *reinterpret_cast<const V*>(c + i);
    storeStream<double>(a + i, bv + sv * cv);
  }
  storeFence();
}

// ---- read-only stream: the sum of an array ---------------------------------------------------
// Not a model input: shows what a stream that only reads (as weight streaming does) draws.
// a aligned to kVectorBytes; n a multiple of 8 vectors.
double readSumKernel(const float* a, long n) {
  using V = VecT<float>;
  constexpr int L = Vec<float>::kLanes;
  V acc[8];
  for (int j = 0; j < 8; ++j)
    acc[j] = splat<float>(0);
  for (long i = 0; i < n; i += 8L * L) {
    for (int j = 0; j < 8; ++j)
      acc[j] += *reinterpret_cast<const V*>(a + i + static_cast<long>(j) * L);
  }
  double sum = 0;
  for (int j = 0; j < 8; ++j) {
    for (int l = 0; l < L; ++l)
      sum += acc[j][l];
  }
  return sum;
}

// ---- Y = W X: weights streamed once, nb right-hand columns kept in cache ----------------------
// Register tile: MV weight vectors (P = MV * lanes rows, a "panel") by NC columns; each weight
// vector is loaded once per k and used NC times, each X element broadcast and used MV times.
// Cache blocking, as in GotoBLAS: panels are grouped in blocks of G; a block's k range is cut
// into chunks of KC (about kChunkBytes of W per panel). Each panel's chunk is used by every
// column block while it sits in L1, and each chunk of X by every panel of the block while it
// sits in L1/L2; partial sums wait in a buffer of kPartialBytes between chunks. So W is consumed
// at an even pace, each byte of it fetched from DRAM once, and X is re-read from L2 only once per
// block, whatever nb is.
// W is packed (once, like weights repacked at load time) in the order it is consumed, so it is
// one linear stream; while a chunk is used, the next one is prefetched into L2, spread evenly over
// the chunk's work: the hardware prefetchers alone do not keep enough lines in flight once
// compute is interleaved with the stream, and a burst of prefetches would stall on the L1 miss
// buffers. Y is written with non-temporal stores, like the triad's `a`. Layouts: gemmWIndex,
// gemmXIndex, gemmYIndex below.
constexpr int kMaxNb = 256;
constexpr long kChunkBytes = 12L * 1024;
constexpr long kPartialBytes = 256L * 1024;
constexpr long kMaxBlockPanels = 16;

constexpr int tileCols(int nb) {
  return nb < 8 ? nb : 8;
}
constexpr int tileVecs(int nc) {
  return kAccBudget / nc > 8 ? 8 : (kAccBudget / nc < 1 ? 1 : kAccBudget / nc);
}

template <typename T>
struct Shape {
  int nc = 0;   // columns per register tile
  long P = 0;   // rows per panel
  long KC = 0;  // k per chunk
  long G = 0;   // panels per block
  int ncb = 0;  // column blocks
  explicit Shape(int nb) {
    nc = tileCols(nb);
    P = static_cast<long>(tileVecs(nc)) * Vec<T>::kLanes;
    const long kc = kChunkBytes / (P * static_cast<long>(sizeof(T)));
    KC = kc < 16 ? 16 : kc;
    const long g = kPartialBytes / (P * nb * static_cast<long>(sizeof(T)));
    G = g < 1 ? 1 : (g > kMaxBlockPanels ? kMaxBlockPanels : g);
    ncb = nb / nc;
  }
  // W[r][kk] of a matrix of `panels` panels and k columns.
  long wIndex(long k, long panels, long r, long kk) const {
    const long p = r / P, rb = p / G, q = p % G;
    const long g = panels - rb * G < G ? panels - rb * G : G;
    const long k0 = kk / KC * KC;
    const long kc = k - k0 < KC ? k - k0 : KC;
    return rb * G * P * k + k0 * g * P + q * kc * P + (kk - k0) * P + r % P;
  }
  long xIndex(long k, long kk, int j) const {
    return (static_cast<long>(j / nc) * k + kk) * nc + j % nc;
  }
  long yIndex(long r, int j) const { return ((r / P * ncb + j / nc) * nc + j % nc) * P + r % P; }
};

template <typename T, int NC>
void gemmTile(const T* w, const T* x, T* y, long panelBegin, long panelEnd, long k, int nb) {
  constexpr int MV = tileVecs(NC);
  constexpr int L = Vec<T>::kLanes;
  constexpr long kLinesPerStep = static_cast<long>(MV) * kVectorBytes / 64;  // W lines per k
  using V = VecT<T>;
  const Shape<T> shape(nb);
  const long P = shape.P, KC = shape.KC, G = shape.G;
  const int ncb = shape.ncb;
  const long pfPerStep = (kLinesPerStep + ncb - 1) / ncb;
  alignas(64) T partial[kPartialBytes / sizeof(T)];
  for (long p0 = panelBegin; p0 < panelEnd; p0 += G) {
    const long g = panelEnd - p0 < G ? panelEnd - p0 : G;
    const T* wc = w + p0 * P * k;  // the chunk being consumed: W is read strictly in order
    for (long k0 = 0; k0 < k; k0 += KC) {
      const long kc = k - k0 < KC ? k - k0 : KC;
      const bool first = k0 == 0, last = k0 + kc == k;
      for (long q = 0; q < g; ++q, wc += kc * P) {
        // Prefetch the next chunk (integer arithmetic: it may lie past the end of W, and a
        // prefetch never faults).
        uintptr_t pf = reinterpret_cast<uintptr_t>(wc + kc * P);
        const uintptr_t pfEnd = pf + static_cast<uintptr_t>(KC * P) * sizeof(T);
        for (int cb = 0; cb < ncb; ++cb) {
          const T* xc = x + (static_cast<long>(cb) * k + k0) * NC;
          T* part = partial + (q * ncb + cb) * NC * P;
          V acc[MV][NC];
          for (int m = 0; m < MV; ++m) {
            for (int c = 0; c < NC; ++c)
              acc[m][c] = first ? splat<T>(0) : *reinterpret_cast<const V*>(part + c * P + m * L);
          }
          for (long kk = 0; kk < kc; ++kk) {
            for (long i = 0; i < pfPerStep && pf < pfEnd; ++i, pf += 64) {
              // NOLINTNEXTLINE(performance-no-int-to-ptr): see pf above
              __builtin_prefetch(reinterpret_cast<const void*>(pf), 0, 2);  // into L2
            }
            const V* wv = reinterpret_cast<const V*>(wc + kk * P);
            const T* xk = xc + kk * NC;
            V wr[MV];
            for (int m = 0; m < MV; ++m)
              wr[m] = wv[m];
            for (int c = 0; c < NC; ++c) {
              const V xb = splat<T>(xk[c]);
              for (int m = 0; m < MV; ++m)
                acc[m][c] += wr[m] * xb;
            }
          }
          if (!last) {
            for (int m = 0; m < MV; ++m) {
              for (int c = 0; c < NC; ++c)
                *reinterpret_cast<V*>(part + c * P + m * L) = acc[m][c];
            }
          } else {
            T* yt = y + ((p0 + q) * ncb + cb) * NC * P;
            for (int c = 0; c < NC; ++c) {
              for (int m = 0; m < MV; ++m)
                storeStream<T>(yt + c * P + m * L, acc[m][c]);
            }
          }
        }
      }
    }
  }
  storeFence();
}

template <typename T>
bool gemm(const T* w, const T* x, T* y, long panelBegin, long panelEnd, long k, int nb) {
  if (nb < 1 || nb > kMaxNb || nb % tileCols(nb) != 0) return false;
  if (panelBegin % Shape<T>(nb).G != 0) return false;  // threads split W at block boundaries
  switch (tileCols(nb)) {
    case 1:
      gemmTile<T, 1>(w, x, y, panelBegin, panelEnd, k, nb);
      return true;
    case 2:
      gemmTile<T, 2>(w, x, y, panelBegin, panelEnd, k, nb);
      return true;
    case 4:
      gemmTile<T, 4>(w, x, y, panelBegin, panelEnd, k, nb);
      return true;
    case 8:
      gemmTile<T, 8>(w, x, y, panelBegin, panelEnd, k, nb);
      return true;
    default:
      return false;
  }
}

Shape<float> shapeF32(int nb) {
  return Shape<float>(nb);
}
Shape<double> shapeF64(int nb) {
  return Shape<double>(nb);
}

}  // namespace

// ---- entry points (declared in roofline_host.cpp) --------------------------------------------

const char* kernelIsa() {
#if defined(__AVX512F__) && defined(__FMA__)
  return "AVX-512F + FMA, 512-bit vectors";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2 + FMA, 256-bit vectors";
#elif defined(__AVX__)
  return "AVX, 256-bit vectors, no FMA";
#elif defined(__SSE2__)
  return "SSE2, 128-bit vectors, no FMA";
#elif defined(__aarch64__)
  return "AArch64 Advanced SIMD, 128-bit vectors";
#else
  return "generic 128-bit vectors";
#endif
}
int kernelVectorBytes() {
  return kVectorBytes;
}
int peakChains() {
  return kPeakChains;
}

float fmaPeakF32(long iters) {
  return fmaPeak<float>(iters);
}
double fmaPeakF64(long iters) {
  return fmaPeak<double>(iters);
}

void triadPlain(double* a, const double* b, const double* c, double s, long n) {
  triadPlainKernel(a, b, c, s, n);
}
void triadStream(double* a, const double* b, const double* c, double s, long n) {
  triadStreamKernel(a, b, c, s, n);
}
double readSum(const float* a, long n) {
  return readSumKernel(a, n);
}

// Layout of Y = W X for nb columns of elemBytes-byte elements (4: fp32, 8: fp64).
int gemmTileColsFor(int nb) {
  return tileCols(nb);
}
long gemmRowsPerPanel(int nb, int elemBytes) {
  return elemBytes == 4 ? shapeF32(nb).P : shapeF64(nb).P;
}
long gemmPanelsPerBlock(int nb, int elemBytes) {
  return elemBytes == 4 ? shapeF32(nb).G : shapeF64(nb).G;
}
long gemmWIndex(int nb, int elemBytes, long k, long panels, long r, long kk) {
  return elemBytes == 4 ? shapeF32(nb).wIndex(k, panels, r, kk)
                        : shapeF64(nb).wIndex(k, panels, r, kk);
}
long gemmXIndex(int nb, long k, long kk, int j) {
  return shapeF32(nb).xIndex(k, kk, j);
}
long gemmYIndex(int nb, int elemBytes, long r, int j) {
  return elemBytes == 4 ? shapeF32(nb).yIndex(r, j) : shapeF64(nb).yIndex(r, j);
}
// panelBegin: a multiple of gemmPanelsPerBlock. False if nb or panelBegin is not supported.
bool gemmF32(const float* w, const float* x, float* y, long panelBegin, long panelEnd, long k,
             int nb) {
  return gemm<float>(w, x, y, panelBegin, panelEnd, k, nb);
}
bool gemmF64(const double* w, const double* x, double* y, long panelBegin, long panelEnd, long k,
             int nb) {
  return gemm<double>(w, x, y, panelBegin, panelEnd, k, nb);
}

// A chain of dependent register-to-register integer adds, one cycle each on every x86 core:
// `iters` times 32 adds take 32 * iters core cycles. (Adds of an immediate will not do: recent
// cores, Golden Cove among them, fold those at rename, several per cycle.) Returns -1 where
// there is no such chain here.
long clockChain(long iters) {
#if defined(__x86_64__)
#define QEIL_ADD8                                            \
  "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t" \
  "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
  long x = 0;
  const long one = 1;
  for (long i = 0; i < iters; ++i)
    asm volatile(QEIL_ADD8 QEIL_ADD8 QEIL_ADD8 QEIL_ADD8 : "+r"(x) : "r"(one));
#undef QEIL_ADD8
  return x;
#else
  (void)iters;
  return -1;
#endif
}

}  // namespace qeil::bench::roofline
