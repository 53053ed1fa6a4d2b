// common.h - internal helpers shared by the jnn_cpu kernels (not part of the C API).
//
//   guarded(kernel, f)      : every jnn_* kernel body runs inside it: bumps the call counter and
//                             turns any C++ exception into an error code + jnn_last_error(), so
//                             nothing ever throws across the C boundary.
//   parallel_for(n, grain, align, body)
//   parallel_sum(n, grain, align, body)
//                           : OpenMP only above a size threshold; below it the body runs inline on
//                             the calling thread (no team wake-up, ~0 overhead for small tensors).
//   JNN_CLONES              : runtime SIMD dispatch (ifunc) for hot loops: x86-64-v4 (AVX-512),
//                             x86-64-v3 (AVX2+FMA), or the x86-64 baseline.
//   exp_approx(x)           : an expf that auto-vectorizes (libm's expf does not without -ffast-math).
#ifndef JNN_CPU_COMMON_H
#define JNN_CPU_COMMON_H

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>

#include "jnn/jnn_cpu.h"

// Hot loops are compiled three times and the dynamic loader picks one per CPU (GNU ifunc).
// The library itself is built for the x86-64 baseline, so it never executes an instruction the
// CPU lacks. jnn_cpu_dispatch() reports the pick.
// Tests define JNN_CLONES empty and pass -march to build a single-ISA library, so that every path
// (not only the one this CPU picks) is checked.
#ifndef JNN_CLONES
#define JNN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif

namespace jnn {

// ---- runtime state (runtime.cpp) --------------------------------------------------------------

// Total jnn_* kernel calls; relaxed: it is a statistic, not a synchronization point.
extern std::atomic<int64_t> g_native_calls;
// Threads for jnn's own parallel loops, 0 until first use. Kept here rather than in OpenMP's
// nthreads-var ICV, which is per calling thread: Java calls kernels from many threads and one
// setting must hold for all.
extern std::atomic<int> g_num_threads;
int max_threads() noexcept;  // g_num_threads, initialized on first use
// Whether jnn's own AVX-512 kernels run (the recurrent packed panels, the direct convolution, the
// small-plane gather): the CPU has AVX-512F and jnn_cpu_set_avx512 did not turn them off. The
// portable code beside each of them runs otherwise; tests run both (runtime.cpp).
bool avx512_enabled() noexcept;

// Records msg as this thread's last error, "<kernel>: <msg>".
void set_last_error(const char* kernel, const char* msg) noexcept;

inline void count_call() noexcept { g_native_calls.fetch_add(1, std::memory_order_relaxed); }

// Runs one kernel body: counts the call and maps exceptions to error codes. The happy path costs
// one relaxed atomic add (zero-cost exception tables otherwise).
template <class F>
inline int guarded(const char* kernel, F&& body) noexcept {
  count_call();
  try {
    body();
    return JNN_OK;
  } catch (const std::bad_alloc&) {
    set_last_error(kernel, "out of memory");
    return JNN_ERR_ALLOC;
  } catch (const std::exception& e) {
    set_last_error(kernel, e.what());
    return JNN_ERR_INTERNAL;
  } catch (...) {
    set_last_error(kernel, "unknown C++ exception");
    return JNN_ERR_INTERNAL;
  }
}

// ---- threading --------------------------------------------------------------------------------

// Element counts below which a loop stays on the calling thread. Waking a warm OpenMP team costs
// ~1 us (a cold one, whose workers already sleep, tens of us on a VM), so a loop goes parallel only
// when its serial run takes several microseconds. Measured on 2 cores (AVX-512), serial -> 2 threads:
// relu 65536 floats 5.8 -> 3.6 us (memory-bound loops: kGrainCheap); sigmoid 8192 floats
// 4.1 -> 2.9 us (exp, erf, sqrt, division: ~0.5-1.5 ns per element, kGrainHeavy).
constexpr int64_t kGrainCheap = int64_t(1) << 16;
constexpr int64_t kGrainHeavy = int64_t(1) << 13;

// Threads worth using for n items at `grain` items per thread (at least 1).
inline int threads_for(int64_t n, int64_t grain) noexcept {
  if (n < grain) return 1;
  const int most = max_threads();
  if (most <= 1) return 1;
  const int64_t useful = n / std::max<int64_t>(1, grain / 2);
  return (int)std::max<int64_t>(1, std::min<int64_t>(most, useful));
}

// Calls body(lo, hi) over [0, n) on nt threads, one contiguous chunk each; chunk bounds are
// multiples of `align` items (16 floats = 64 bytes: two threads never write one cache line).
// body must not throw (an exception cannot leave an OpenMP region) and must not call BLAS.
template <class Body>
inline void parallel_chunks(int nt, int64_t n, int64_t align, Body&& body) {
  if (nt <= 1) {
    if (n > 0) body(int64_t(0), n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t chunk = ((n + team - 1) / team + align - 1) / align * align;
    const int64_t lo = std::min(n, t * chunk), hi = std::min(n, lo + chunk);
    if (lo < hi) body(lo, hi);
  }
}

// parallel_chunks with as many threads as n items at `grain` items per thread justify; below
// `grain` the body runs inline on the calling thread.
template <class Body>
inline void parallel_for(int64_t n, int64_t grain, int64_t align, Body&& body) {
  parallel_chunks(threads_for(n, grain), n, align, body);
}

// Returns the sum over chunks of body(lo, hi) -> double, chunks as in parallel_for. Partial sums
// are added in thread order, so the result is deterministic for a given thread count.
template <class Body>
inline double parallel_sum(int64_t n, int64_t grain, int64_t align, Body&& body) {
  const int nt = threads_for(n, grain);
  if (nt <= 1) return n > 0 ? body(int64_t(0), n) : 0.0;
  constexpr int kMaxThreads = 256;
  struct alignas(64) Slot { double v; };  // one cache line per thread: no false sharing
  Slot partial[kMaxThreads];
  const int team_max = std::min(nt, kMaxThreads);
  int team_size = 1;
#pragma omp parallel num_threads(team_max)
  {
    const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t chunk = ((n + team - 1) / team + align - 1) / align * align;
    const int64_t lo = std::min(n, t * chunk), hi = std::min(n, lo + chunk);
    partial[t].v = lo < hi ? body(lo, hi) : 0.0;
    if (t == 0) team_size = (int)team;
  }
  double s = 0.0;
  for (int t = 0; t < team_size; t++) s += partial[t].v;
  return s;
}

// Rows per thread for row-wise kernels on (rows, cols) so that a thread gets >= grain elements.
inline int64_t row_grain(int64_t cols, int64_t grain) noexcept {
  return std::max<int64_t>(1, grain / std::max<int64_t>(1, cols));
}

// ---- math -------------------------------------------------------------------------------------

inline float bits_to_float(uint32_t u) noexcept { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t float_to_bits(float f) noexcept { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// exp(x) in float, written so that loops calling it auto-vectorize (no libm call, branches are
// selects). Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2, then Cephes' degree-7 minimax
// polynomial: max error ~1 ulp over the whole range (checked against double exp).
// exp(NaN) = NaN, exp(+inf) = +inf, exp(x > 88.72) = +inf, exp(-inf) = 0, subnormal results kept.
inline float exp_approx(float x) noexcept {
  // Clamp so that n stays in [-151, 129]; NaN fails both tests and flows through as NaN.
  float xc = x > 88.8f ? 88.8f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  // n = round(x / ln2) with the 1.5*2^23 trick (exact for |n| < 2^22, vectorizes at any ISA).
  const float magic = 12582912.0f;
  const float t = xc * 1.44269504088896341f + magic;
  const float nf = t - magic;
  const int32_t n = (int32_t)(float_to_bits(t) - float_to_bits(magic));
  float r = xc - nf * 0.693359375f;  // ln2 split: hi part has 9 significant bits, so nf*hi is exact
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // Scale by 2^n as 2^(n/2) * 2^(n - n/2): both factors are normal floats for n in [-151, 129],
  // so results near the overflow and subnormal ends are rounded once, correctly.
  const int32_t n1 = n / 2, n2 = n - n1;
  const float s1 = bits_to_float((uint32_t)(n1 + 127) << 23);
  const float s2 = bits_to_float((uint32_t)(n2 + 127) << 23);
  float y = p * s1 * s2;
  y = x > 88.72283935546875f ? __builtin_huge_valf() : y;  // overflow (and +inf)
  y = x < -104.0f ? 0.0f : y;                               // underflow below the smallest subnormal
  return y;
}

}  // namespace jnn

#endif
