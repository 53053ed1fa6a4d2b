// conv_dnnl.cpp - conv2d forward, backward-data and backward-weights through oneDNN (the
// org.bytedeco:dnnl preset's libdnnl.so.3), with conv.cpp's im2col + sgemm kernels as the fallback.
//
// Why: on the tutorial CNN's small planes (13x13, 5x5) im2col + one sgemm reaches only ~60% of the
// sgemm's own rate (im2col, col2im and the output reorder are the rest); oneDNN's JIT direct
// convolutions on its blocked layouts run at or above that sgemm rate, reorders included
// (docs/BENCHMARKS.md, "oneDNN convolutions", has the figures and the decision).
//
// Layouts: primitives are created with format_tag::any, so oneDNN picks its blocked layouts
// (nChw16c, OIhw16i16o, ...). With plain NCHW descriptors it picked its slow generic kernels
// (~100x slower). jnn's tensors stay plain NCHW / KCRS: each call reorders the inputs into blocked
// scratch memories and the result back (a reorder is skipped where the layouts agree). Keeping the
// blocked layout between layers would save those passes but change what a jnn tensor is; not done.
//
// supports(): oneDNN has an implementation for every geometry Conv2dGeometry allows (groups = 1,
// any stride, padding, dilation, f32), but where it offers only its reference kernels ("ref:...",
// e.g. on a CPU without SSE4.1-class JIT support) the im2col kernel is faster, so the im2col
// kernel runs and the call counts as a fallback (jnn_conv2d_stats). In strict mode
// (-Djnn.strict=true, jnn_conv2d_set_strict) such a fallback is an error instead: nothing falls
// back silently. The user may choose im2col explicitly (jnn_conv2d_set_impl, -Djnn.cpu.conv=im2col).
//
// Cache: per calling thread, a most-recently-used list of Plans keyed by (direction, geometry,
// bias, threads), at most kMaxPlans plans and kMaxBytes of blocked buffers and scratchpads; the
// least recently used is dropped beyond either. A Plan owns primitive descriptors, the primitive,
// the reorders, the blocked buffers and a user-mode scratchpad: mutable state that one execution
// at a time may use, hence one cache per thread (Java may call kernels from several threads, e.g.
// concurrent predict). The JIT code is not duplicated: oneDNN's own primitive cache (global,
// thread-safe) gives every thread the same compiled primitive. User buffers (Java arrays in a JNI
// critical region) are attached per call with set_data_handle and never kept.
//
// Threads: this libdnnl is oneDNN's OpenMP build and runs on the same libgomp as jnn's loops (JnnCpu
// loads jnn's libgomp.so.1 before libdnnl.so.3; one OpenMP runtime, one team of workers). oneDNN
// sizes its work for omp_get_max_threads() of the calling thread when a primitive is created and
// keeps that count; jnn's count is process-wide (g_num_threads, runtime.cpp), so every call first
// sets the calling thread's ICV to max_threads() and the count is part of the key. OpenBLAS's
// pthreads pool is not involved (oneDNN's f32 convolutions do not call BLAS).
#include "conv_dnnl.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "common.h"

using namespace jnn;

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum Dir { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };
const char* const kKernel[3] = {"conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter"};

// Policy and statistics (jnn_cpu.h: jnn_conv2d_set_impl, jnn_conv2d_set_strict, jnn_conv2d_stats).
std::atomic<int> g_impl{JNN_CONV_IMPL_AUTO};
std::atomic<int> g_strict{0};
// [dir][0: ran on oneDNN, 1: im2col by the user's choice, 2: im2col because supports() said no]
std::atomic<int64_t> g_counts[3][3];

// Plans per thread and their blocked buffers + scratchpads per thread: the tutorial CNN needs 6
// plans (3 layers x 2-3 directions) and ~12 MB; a ResNet-50 at batch 32 about 150 plans.
constexpr size_t kMaxPlans = 64;
constexpr size_t kMaxBytes = size_t(512) << 20;

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);  // created once; engines are thread-safe
  return e;
}

// One stream per thread, created once: a oneDNN stream is not meant to be shared by concurrent
// callers, and on the CPU engine it is only a handle (executions are synchronous under OpenMP).
dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

// Backward data of fewer input channels than this runs on oneDNN's gemm-based kernel (make_pd).
constexpr int kFewChannels = 8;

// (dir, bias, threads, n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw)
using Key = std::array<int, 16>;

Key make_key(int dir, bool bias, int threads, const dnnl_conv::Shape& g) {
  return {dir, bias ? 1 : 0, threads, g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw};
}

int out_size(int in, int k, int s, int p, int d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

// Backward weights with output planes of at most this many elements (3x3) run jnn's im2col kernel
// in AUTO mode: oneDNN's backward-weights kernels (jit:avx512_core, jit:avx2 and gemm:jit alike)
// reach a fraction of the GEMM rate there, while one batched sgemm over the whole batch does not
// care how small the planes are. Measured on 2 threads (AVX-512), batch 64, ms per call oneDNN ->
// im2col, 3x3 kernels without padding: 64->64 on 5x5 inputs (3x3 outputs: the tutorial CNN's
// conv3) 0.41 -> 0.26, 32->32 0.15 -> 0.12, 128->128 0.96 -> 0.80, 256->256 3.4 -> 2.5, 64->64 on
// 4x4 inputs 0.29 -> 0.15, 512->512 on 3x3 inputs (1x1 outputs) 11.9 -> 1.3; 4x4 and 5x5 outputs
// are even (64->64: 0.55 / 0.55, 0.69 / 0.67), and from there oneDNN wins (7x7: 0.89 vs 1.51).
constexpr int kIm2colFilterMaxPlane = 9;

bool im2col_by_policy(int dir, const dnnl_conv::Shape& g) {
  return dir == kBackwardWeights &&
         (int64_t)out_size(g.h, g.r, g.sh, g.ph, g.dh) * out_size(g.w, g.s, g.sw, g.pw, g.dw) <= kIm2colFilterMaxPlane;
}

// One argument of a primitive: the user's plain memory (handle set per call) and the memory the
// primitive reads or writes (the same object when oneDNN's chosen layout is the plain one).
struct Arg {
  int id;
  bool output;
  memory user, prim;
  dnnl::reorder reorder;  // user -> prim for inputs, prim -> user for outputs; empty if none
  bool reordered;
};

struct Plan {
  Key key;
  bool supported = false;
  std::string impl;  // oneDNN's implementation name, e.g. "jit:avx512_core"
  dnnl::primitive prim;
  std::vector<Arg> args;
  std::unordered_map<int, memory> exec_args;
  size_t bytes = 0;
};

// The primitive descriptor of direction `dir` (all layouts `any`, scratchpad owned by the Plan).
// Backward descriptors need the forward one as a hint.
dnnl::primitive_desc make_pd(int dir, bool bias, const dnnl_conv::Shape& g) {
  const int p = out_size(g.h, g.r, g.sh, g.ph, g.dh), q = out_size(g.w, g.s, g.sw, g.pw, g.dw);
  const memory::desc src({g.n, g.c, g.h, g.w}, dt::f32, tag::any), wei({g.k, g.c, g.r, g.s}, dt::f32, tag::any);
  const memory::desc dst({g.n, g.k, p, q}, dt::f32, tag::any), bia({g.k}, dt::f32, tag::a);
  // oneDNN's dilation counts the gaps (PyTorch's dilation - 1); right padding = left padding, as
  // PyTorch passes it (the output size is floor((h + 2 pad - extent) / stride) + 1 either way).
  const memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, pad{g.ph, g.pw};
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto alg = dnnl::algorithm::convolution_direct;
  // A forward pd with a bias for the backward-weights hint when dbias is wanted.
  auto fwd = bias ? dnnl::convolution_forward::primitive_desc(engine(), dnnl::prop_kind::forward_training, alg, src, wei, bia, dst, strides,
                                                               dil, pad, pad, attr)
                  : dnnl::convolution_forward::primitive_desc(engine(), dnnl::prop_kind::forward_training, alg, src, wei, dst, strides, dil,
                                                               pad, pad, attr);
  if (dir == kForward) return fwd;
  if (dir == kBackwardData) {
    auto make = [&] { return dnnl::convolution_backward_data::primitive_desc(engine(), alg, src, wei, dst, strides, dil, pad, pad, fwd, attr); };
    auto pd = make();
    // Backward data of few input channels (C < kFewChannels, a network's first layers): oneDNN's
    // first choice, its direct JIT kernel, vectorizes over C and wastes most of each 16-lane vector;
    // its gemm-based kernel (the next ones in its list) is 2-4.6x faster there. Measured on this
    // AVX-512 machine, 2 threads, batch 64, reorders included (GFLOP/s, jit:avx512_core -> x64:gemm:jit):
    // 1->32 28x28 15.0 -> 69.2, 3->32 32x32 43.3 -> 83.3; from C = 8 on the direct kernel wins
    // (8->32 28x28 126.9 vs 87.8; 16->32 13x13 266.2 vs 93.0).
    if (g.c < kFewChannels) {
      while (std::string(pd.impl_info_str()).find("gemm") == std::string::npos)
        if (!pd.next_impl()) return make();  // no gemm-based kernel: oneDNN's first choice
    }
    return pd;
  }
  return bias ? dnnl::convolution_backward_weights::primitive_desc(engine(), alg, src, wei, bia, dst, strides, dil, pad, pad, fwd, attr)
              : dnnl::convolution_backward_weights::primitive_desc(engine(), alg, src, wei, dst, strides, dil, pad, pad, fwd, attr);
}

// supports(): everything but oneDNN's reference kernels (see the top of this file).
bool supports_impl(const std::string& impl) { return impl.rfind("ref", 0) != 0; }

std::unique_ptr<Plan> make_plan(const Key& key, int dir, bool bias, const dnnl_conv::Shape& g) {
  auto plan = std::make_unique<Plan>();
  plan->key = key;
  dnnl::primitive_desc pd = make_pd(dir, bias, g);
  plan->impl = pd.impl_info_str();
  plan->supported = supports_impl(plan->impl);
  if (!plan->supported) return plan;  // a negative entry: the im2col kernel runs, nothing else kept

  const int p = out_size(g.h, g.r, g.sh, g.ph, g.dh), q = out_size(g.w, g.s, g.sw, g.pw, g.dw);
  const memory::desc x_plain({g.n, g.c, g.h, g.w}, dt::f32, tag::nchw), w_plain({g.k, g.c, g.r, g.s}, dt::f32, tag::oihw);
  const memory::desc y_plain({g.n, g.k, p, q}, dt::f32, tag::nchw), b_plain({g.k}, dt::f32, tag::a);
  auto add = [&](int id, bool output, const memory::desc& plain) {
    const memory::desc chosen = pd.query_md(dnnl::query::exec_arg_md, id);
    Arg a{id, output, memory(plain, engine(), DNNL_MEMORY_NONE), memory(), dnnl::reorder(), false};
    if (chosen == plain) {
      a.prim = a.user;
    } else {
      a.prim = memory(chosen, engine());  // a blocked buffer owned by the plan
      plan->bytes += chosen.get_size();
      a.reorder = output ? dnnl::reorder(a.prim, a.user) : dnnl::reorder(a.user, a.prim);
      a.reordered = true;
    }
    plan->exec_args[id] = a.prim;
    plan->args.push_back(std::move(a));
  };
  if (dir == kForward) {
    add(DNNL_ARG_SRC, false, x_plain);
    add(DNNL_ARG_WEIGHTS, false, w_plain);
    if (bias) add(DNNL_ARG_BIAS, false, b_plain);
    add(DNNL_ARG_DST, true, y_plain);
    plan->prim = dnnl::primitive(pd);
  } else if (dir == kBackwardData) {
    add(DNNL_ARG_DIFF_DST, false, y_plain);
    add(DNNL_ARG_WEIGHTS, false, w_plain);
    add(DNNL_ARG_DIFF_SRC, true, x_plain);
    plan->prim = dnnl::primitive(pd);
  } else {
    add(DNNL_ARG_SRC, false, x_plain);
    add(DNNL_ARG_DIFF_DST, false, y_plain);
    add(DNNL_ARG_DIFF_WEIGHTS, true, w_plain);
    if (bias) add(DNNL_ARG_DIFF_BIAS, true, b_plain);
    plan->prim = dnnl::primitive(pd);
  }
  const memory::desc scratch = pd.scratchpad_desc();
  if (scratch.get_size() > 0) {
    plan->exec_args[DNNL_ARG_SCRATCHPAD] = memory(scratch, engine());
    plan->bytes += scratch.get_size();
  }
  return plan;
}

// This thread's plans, most recently used first.
struct Cache {
  std::vector<std::unique_ptr<Plan>> plans;
  size_t bytes = 0;

  Plan& get(int dir, bool bias, int threads, const dnnl_conv::Shape& g) {
    const Key key = make_key(dir, bias, threads, g);
    for (size_t i = 0; i < plans.size(); i++) {
      if (plans[i]->key == key) {
        if (i > 0) std::rotate(plans.begin(), plans.begin() + i, plans.begin() + i + 1);
        return *plans.front();
      }
    }
    auto plan = make_plan(key, dir, bias, g);
    bytes += plan->bytes;
    plans.insert(plans.begin(), std::move(plan));
    while (plans.size() > 1 && (plans.size() > kMaxPlans || bytes > kMaxBytes)) {
      bytes -= plans.back()->bytes;
      plans.pop_back();
    }
    return *plans.front();
  }
};

Cache& cache() {
  thread_local Cache c;
  return c;
}

thread_local int t_last_threads = 0;

// Runs direction `dir` through oneDNN with the user buffers ptrs (by DNNL_ARG id) and returns true,
// or returns false where the im2col kernel must run (counted).
bool run(int dir, bool bias, const dnnl_conv::Shape& g, std::initializer_list<std::pair<int, const float*>> ptrs) {
  if (g_impl.load(std::memory_order_relaxed) == JNN_CONV_IMPL_IM2COL || im2col_by_policy(dir, g)) {
    g_counts[dir][1].fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const int threads = max_threads();
  omp_set_num_threads(threads);  // this thread's ICV, read by oneDNN (see the top of this file)
  Plan& plan = cache().get(dir, bias, threads, g);
  if (!plan.supported) {
    if (g_strict.load(std::memory_order_relaxed))
      throw std::runtime_error("oneDNN offers only its reference implementation (" + plan.impl +
                               ") for this geometry, and strict mode (-Djnn.strict=true) forbids the fallback to the im2col kernel "
                               "(choose it explicitly with -Djnn.cpu.conv=im2col)");
    g_counts[dir][2].fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  for (Arg& a : plan.args) {
    const float* ptr = nullptr;
    for (const auto& pr : ptrs)
      if (pr.first == a.id) ptr = pr.second;
    if (!ptr) throw std::logic_error("oneDNN argument " + std::to_string(a.id) + " has no buffer");
    a.user.set_data_handle(const_cast<float*>(ptr));
  }
  dnnl::stream& s = stream();
  for (Arg& a : plan.args)
    if (a.reordered && !a.output) a.reorder.execute(s, a.user, a.prim);
  plan.prim.execute(s, plan.exec_args);
  for (Arg& a : plan.args)
    if (a.reordered && a.output) a.reorder.execute(s, a.prim, a.user);
  s.wait();
  t_last_threads = threads;
  g_counts[dir][0].fetch_add(1, std::memory_order_relaxed);
  return true;
}

// oneDNN's errors carry a status and the failing call; say it is oneDNN's.
template <class F>
bool with_dnnl_errors(F&& f) {
  try {
    return f();
  } catch (const dnnl::error& e) {
    throw std::runtime_error(std::string("oneDNN: ") + e.what() + " (status " + std::to_string((int)e.status) + ")");
  }
}

}  // namespace

namespace jnn::dnnl_conv {

bool forward(const Shape& g, const float* x, const float* wt, const float* bias, float* y) {
  return with_dnnl_errors([&] {
    return bias ? run(kForward, true, g, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, y}})
                : run(kForward, false, g, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_DST, y}});
  });
}

bool direct_forward(const Shape& g) { return g_impl.load(std::memory_order_relaxed) != JNN_CONV_IMPL_IM2COL && direct_forward_fits(g); }

void count_choice(int dir) { g_counts[dir][1].fetch_add(1, std::memory_order_relaxed); }

bool backward_data(const Shape& g, const float* dy, const float* wt, float* dx) {
  return with_dnnl_errors(
      [&] { return run(kBackwardData, false, g, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_DIFF_SRC, dx}}); });
}

bool backward_weights(const Shape& g, const float* x, const float* dy, float* dw, float* dbias) {
  return with_dnnl_errors([&] {
    return dbias ? run(kBackwardWeights, true, g,
                       {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_BIAS, dbias}})
                 : run(kBackwardWeights, false, g, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
  });
}

}  // namespace jnn::dnnl_conv

extern "C" {

int jnn_conv2d_set_impl(int impl) {
  if (impl != JNN_CONV_IMPL_AUTO && impl != JNN_CONV_IMPL_IM2COL) return -1;
  return g_impl.exchange(impl);
}

int jnn_conv2d_get_impl(void) { return g_impl.load(); }

void jnn_conv2d_set_strict(int strict) { g_strict.store(strict ? 1 : 0); }

int jnn_conv2d_stats(int64_t* out, int64_t out_off) {
  for (int d = 0; d < 3; d++)
    for (int i = 0; i < 3; i++) out[out_off + 3 * d + i] = g_counts[d][i].load(std::memory_order_relaxed);
  return JNN_OK;
}

int jnn_conv2d_last_threads(void) { return t_last_threads; }

const char* jnn_conv2d_impl(int dir, int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw, int dh, int dw) {
  thread_local std::string out;
  try {
    if (dir < 0 || dir > 2) return "invalid direction";
    if (g_impl.load() == JNN_CONV_IMPL_IM2COL) return "im2col (chosen: jnn.cpu.conv=im2col)";
    omp_set_num_threads(max_threads());
    const dnnl_conv::Shape g{n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw};
    if (im2col_by_policy(dir, g)) return "im2col (backward filter on output planes of at most 9 elements: faster than oneDNN there)";
    if (dir == kForward && dnnl_conv::direct_forward(g)) return "direct (jnn's AVX-512 kernel for 9 input taps C*R*S at stride 1: faster than oneDNN there)";
    const std::string impl = make_pd(dir, dir != kBackwardData, g).impl_info_str();
    out = supports_impl(impl) ? "oneDNN " + impl : "im2col (oneDNN offers only " + impl + ")";
  } catch (const std::exception& e) {
    out = std::string("error: ") + e.what();
  }
  return out.c_str();
}

const char* jnn_dnnl_version(void) {
  static const std::string v = [] {
    const dnnl_version_t* ver = dnnl_version();
    std::string s = "oneDNN " + std::to_string(ver->major) + "." + std::to_string(ver->minor) + "." + std::to_string(ver->patch);
    s += std::string(" (commit ") + (ver->hash ? ver->hash : "?") + ", ";
    s += ver->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP runtime)" : "non-OpenMP runtime " + std::to_string(ver->cpu_runtime) + ")";
    return s;
  }();
  return v.c_str();
}

}  // extern "C"
