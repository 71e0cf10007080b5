// Convolution kernels from oneDNN (the library PyTorch uses on CPUs) for tfjs's wasm backend.
//
// The tensors stay where the wasm backend put them: every call receives the wasm heap's
// ArrayBuffer and byte offsets into it, and oneDNN reads and writes that memory directly
// (activations in NHWC, filters in TF's HWIO / depthwise HW-C-M layout). Only the small weight
// tensors are reordered into oneDNN's blocked layout. oneDNN runs on its OpenMP thread pool.
//
// conv(kind, heap, offsets, dims); kinds: 0 forward (optional bias + ReLU), 1 gradient of the
// input, 2 gradient of the filter. batchNorm(kind, heap, offsets, n, c, epsilon) over an [n, c]
// view of a channels-last tensor; kinds: 0 training forward (batch statistics out), 1 backward,
// 2 inference with given statistics. activation(kind, heap, offsets, n): ReLU and swish, forward
// and backward, spatialSum (global pooling), binary (large adds and multiplies) and update (fused
// RMSProp and EMA steps), in elementwise.cc. Primitives are cached per shape.
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "elementwise.h"

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

enum Kind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

// Integer parameters, in the order the JS side packs them.
struct Dims {
  int64_t n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups, relu, bias;
};
constexpr int kDimCount = 20;
static_assert(sizeof(Dims) == kDimCount * sizeof(int64_t), "Dims is exactly the 20 packed fields");

struct Entry {
  dnnl::primitive prim;
  memory::desc src, weights, dst;  // descriptors the primitive runs on
  memory::desc user_weights;       // TF layout of the filter
  bool reorder_weights = false;
  memory weights_buffer;           // blocked weights (forward, backward data) or their gradient
};

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

std::unordered_map<std::string, std::unique_ptr<Entry>>& cache() {
  static std::unordered_map<std::string, std::unique_ptr<Entry>> c;
  return c;
}

memory::desc weights_md(const Dims& d, tag t) {
  if (d.groups == 1) return memory::desc({d.co, d.ci, d.kh, d.kw}, dt::f32, t);
  return memory::desc({d.groups, d.co / d.groups, d.ci / d.groups, d.kh, d.kw}, dt::f32, t);
}

memory::desc user_weights_md(const Dims& d) { return weights_md(d, d.groups == 1 ? tag::hwio : tag::hwigo); }

dnnl::convolution_forward::primitive_desc forward_pd(const Dims& d, const memory::desc& src, const memory::desc& dst, prop_kind prop) {
  const memory::dims strides = {d.sh, d.sw}, dil = {d.dh - 1, d.dw - 1}, pad_l = {d.pt, d.pl}, pad_r = {d.pb, d.pr};
  const auto w = weights_md(d, tag::any);
  const auto conv_desc = d.bias
      ? dnnl::convolution_forward::desc(prop, algorithm::convolution_direct, src, w, memory::desc({d.co}, dt::f32, tag::a), dst, strides, dil, pad_l, pad_r)
      : dnnl::convolution_forward::desc(prop, algorithm::convolution_direct, src, w, dst, strides, dil, pad_l, pad_r);
  dnnl::primitive_attr attr;
  if (d.relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return dnnl::convolution_forward::primitive_desc(conv_desc, attr, engine());
}

std::unique_ptr<Entry> make_entry(Kind kind, const Dims& d) {
  auto e = std::make_unique<Entry>();
  e->src = memory::desc({d.n, d.ci, d.h, d.w}, dt::f32, tag::nhwc);
  e->dst = memory::desc({d.n, d.co, d.oh, d.ow}, dt::f32, tag::nhwc);
  e->user_weights = user_weights_md(d);
  const memory::dims strides = {d.sh, d.sw}, dil = {d.dh - 1, d.dw - 1}, pad_l = {d.pt, d.pl}, pad_r = {d.pb, d.pr};
  if (kind == kForward) {
    auto pd = forward_pd(d, e->src, e->dst, prop_kind::forward_inference);
    e->weights = pd.weights_desc();
    e->prim = dnnl::convolution_forward(pd);
  } else {
    Dims plain = d;
    plain.bias = 0;
    plain.relu = 0;
    auto hint = forward_pd(plain, e->src, e->dst, prop_kind::forward_training);
    const auto w = weights_md(d, tag::any);
    if (kind == kBackwardData) {
      dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, e->src, w, e->dst, strides, dil, pad_l, pad_r);
      dnnl::convolution_backward_data::primitive_desc pd(desc, engine(), hint);
      e->weights = pd.weights_desc();
      e->prim = dnnl::convolution_backward_data(pd);
    } else {
      dnnl::convolution_backward_weights::desc desc(algorithm::convolution_direct, e->src, w, e->dst, strides, dil, pad_l, pad_r);
      dnnl::convolution_backward_weights::primitive_desc pd(desc, engine(), hint);
      e->weights = pd.diff_weights_desc();
      e->prim = dnnl::convolution_backward_weights(pd);
    }
  }
  e->reorder_weights = e->weights != e->user_weights;
  if (e->reorder_weights) e->weights_buffer = memory(e->weights, engine());
  return e;
}

// Byte offset + size checked against the heap, so a bad offset is an exception, not a crash.
void* at(uint8_t* heap, size_t heap_len, double offset, int64_t elements, const char* name) {
  const auto off = static_cast<size_t>(offset);
  const auto bytes = static_cast<size_t>(elements) * sizeof(float);
  if (offset < 0 || off + bytes > heap_len) throw std::runtime_error(std::string("onednn: ") + name + " lies outside the wasm heap");
  return heap + off;
}

void run(Kind kind, const Dims& d, uint8_t* heap, size_t heap_len, const double* off) {
  // oneDNN fixes a primitive's thread partitioning when it is created: key on the thread count too.
  std::string key(reinterpret_cast<const char*>(&d), sizeof(Dims));
  key.push_back(static_cast<char>(kind));
  key += std::to_string(omp_get_max_threads());
  auto& slot = cache()[key];
  if (!slot) slot = make_entry(kind, d);
  Entry& e = *slot;
  const int64_t src_n = d.n * d.h * d.w * d.ci, dst_n = d.n * d.oh * d.ow * d.co;
  const int64_t w_n = d.kh * d.kw * d.ci / d.groups * d.co;
  auto& s = stream();
  // off: [src or diff_src, weights or diff_weights, dst or diff_dst, bias]
  memory src(e.src, engine(), at(heap, heap_len, off[0], src_n, "x"));
  memory user_w(e.user_weights, engine(), at(heap, heap_len, off[1], w_n, "filter"));
  memory dst(e.dst, engine(), at(heap, heap_len, off[2], dst_n, "y"));
  memory w = e.reorder_weights ? e.weights_buffer : user_w;
  if (kind != kBackwardWeights && e.reorder_weights) dnnl::reorder(user_w, w).execute(s, user_w, w);
  if (kind == kForward) {
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
    if (d.bias) args[DNNL_ARG_BIAS] = memory(memory::desc({d.co}, dt::f32, tag::a), engine(), at(heap, heap_len, off[3], d.co, "bias"));
    e.prim.execute(s, args);
  } else if (kind == kBackwardData) {
    e.prim.execute(s, {{DNNL_ARG_DIFF_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, dst}});
  } else {
    e.prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, dst}});
    if (e.reorder_weights) dnnl::reorder(w, user_w).execute(s, w, user_w);
  }
  s.wait();
}


enum BnKind { kBnTrain = 0, kBnBackward = 1, kBnInfer = 2 };

struct BnEntry {
  dnnl::primitive prim;
  memory::desc data, channel;
};

std::unique_ptr<BnEntry> make_bn(BnKind kind, int64_t n, int64_t c, float eps) {
  auto e = std::make_unique<BnEntry>();
  // [n, c] row-major as a 4D channels-last tensor, the layout oneDNN's JIT batch norm handles.
  e->data = memory::desc({n, c, 1, 1}, dt::f32, tag::nhwc);
  e->channel = memory::desc({c}, dt::f32, tag::a);
  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  if (kind == kBnInfer) {
    dnnl::batch_normalization_forward::desc desc(prop_kind::forward_inference, e->data, eps, flags | dnnl::normalization_flags::use_global_stats);
    e->prim = dnnl::batch_normalization_forward(dnnl::batch_normalization_forward::primitive_desc(desc, engine()));
    return e;
  }
  dnnl::batch_normalization_forward::desc fwd(prop_kind::forward_training, e->data, eps, flags);
  dnnl::batch_normalization_forward::primitive_desc fwd_pd(fwd, engine());
  if (kind == kBnTrain) {
    e->prim = dnnl::batch_normalization_forward(fwd_pd);
  } else {
    dnnl::batch_normalization_backward::desc bwd(prop_kind::backward, e->data, e->data, eps, flags);
    e->prim = dnnl::batch_normalization_backward(dnnl::batch_normalization_backward::primitive_desc(bwd, engine(), fwd_pd));
  }
  return e;
}

// off: train [x, gamma, beta, y, mean, var]; backward [x, dy, mean, var, gamma, dx, dgamma, dbeta];
// inference [x, gamma, beta, mean, var, y].
void run_bn(BnKind kind, int64_t n, int64_t c, float eps, uint8_t* heap, size_t heap_len, const double* off) {
  std::string key = std::to_string(kind) + ":" + std::to_string(n) + ":" + std::to_string(c) + ":" + std::to_string(eps) + ":" + std::to_string(omp_get_max_threads());
  static std::unordered_map<std::string, std::unique_ptr<BnEntry>> bn_cache;
  auto& slot = bn_cache[key];
  if (!slot) slot = make_bn(kind, n, c, eps);
  BnEntry& e = *slot;
  auto data = [&](int i, const char* name) { return memory(e.data, engine(), at(heap, heap_len, off[i], n * c, name)); };
  auto chan = [&](int i, const char* name) { return memory(e.channel, engine(), at(heap, heap_len, off[i], c, name)); };
  auto& s = stream();
  if (kind == kBnTrain) {
    e.prim.execute(s, {{DNNL_ARG_SRC, data(0, "x")}, {DNNL_ARG_SCALE, chan(1, "gamma")}, {DNNL_ARG_SHIFT, chan(2, "beta")},
                       {DNNL_ARG_DST, data(3, "y")}, {DNNL_ARG_MEAN, chan(4, "mean")}, {DNNL_ARG_VARIANCE, chan(5, "variance")}});
  } else if (kind == kBnBackward) {
    e.prim.execute(s, {{DNNL_ARG_SRC, data(0, "x")}, {DNNL_ARG_DIFF_DST, data(1, "dy")}, {DNNL_ARG_MEAN, chan(2, "mean")},
                       {DNNL_ARG_VARIANCE, chan(3, "variance")}, {DNNL_ARG_SCALE, chan(4, "gamma")}, {DNNL_ARG_SHIFT, chan(4, "gamma")}, {DNNL_ARG_DIFF_SRC, data(5, "dx")},
                       {DNNL_ARG_DIFF_SCALE, chan(6, "dgamma")}, {DNNL_ARG_DIFF_SHIFT, chan(7, "dbeta")}});
  } else {
    e.prim.execute(s, {{DNNL_ARG_SRC, data(0, "x")}, {DNNL_ARG_SCALE, chan(1, "gamma")}, {DNNL_ARG_SHIFT, chan(2, "beta")},
                       {DNNL_ARG_MEAN, chan(3, "mean")}, {DNNL_ARG_VARIANCE, chan(4, "variance")}, {DNNL_ARG_DST, data(5, "y")}});
  }
  s.wait();
}

// ---- N-API surface: argument reading shared by every entry point.

struct F64 {
  const double* data = nullptr;
  size_t len = 0;
};

struct Heap {
  uint8_t* data = nullptr;
  size_t len = 0;
};

// Reads positional arguments; any failure leaves ok() false and the entry point answers with its usage.
class Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t count) : env_(env), argc_(count) {
    ok_ = napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) == napi_ok && argc_ == count && count <= kMax;
  }
  bool ok() const { return ok_; }
  Args& i32(size_t i, int32_t* out) { return check(napi_get_value_int32(env_, argv_[i], out)); }
  Args& i64(size_t i, int64_t* out) { return check(napi_get_value_int64(env_, argv_[i], out)); }
  Args& f64(size_t i, double* out) { return check(napi_get_value_double(env_, argv_[i], out)); }
  Args& heap(size_t i, Heap* out) {
    void* data = nullptr;
    check(napi_get_arraybuffer_info(env_, argv_[i], &data, &out->len));
    out->data = static_cast<uint8_t*>(data);
    return *this;
  }
  // A Float64Array of at least `min` entries.
  Args& doubles(size_t i, size_t min, F64* out) {
    napi_typedarray_type type = napi_int8_array;
    void* data = nullptr;
    napi_value buf;
    size_t byte_offset;
    check(napi_get_typedarray_info(env_, argv_[i], &type, &out->len, &data, &buf, &byte_offset));
    ok_ = ok_ && type == napi_float64_array && out->len >= min;
    out->data = static_cast<const double*>(data);
    return *this;
  }
  // An Int32Array of exactly `count` entries.
  Args& ints(size_t i, size_t count, const int32_t** out) {
    napi_typedarray_type type = napi_int8_array;
    void* data = nullptr;
    size_t len = 0;
    napi_value buf;
    size_t byte_offset;
    check(napi_get_typedarray_info(env_, argv_[i], &type, &len, &data, &buf, &byte_offset));
    ok_ = ok_ && type == napi_int32_array && len == count;
    *out = static_cast<const int32_t*>(data);
    return *this;
  }
  Args& require(bool condition) {
    ok_ = ok_ && condition;
    return *this;
  }

 private:
  static constexpr size_t kMax = 8;
  Args& check(napi_status status) {
    ok_ = ok_ && status == napi_ok;
    return *this;
  }
  napi_env env_;
  size_t argc_;
  napi_value argv_[kMax] = {};
  bool ok_ = false;
};

napi_value usage(napi_env env, const char* text) {
  napi_throw_type_error(env, nullptr, text);
  return nullptr;
}

// Runs the work, turning oneDNN and bounds errors into JS exceptions.
template <typename F>
napi_value guarded(napi_env env, F work) {
  try {
    work();
  } catch (const dnnl::error& err) {
    napi_throw_error(env, nullptr, (std::string("onednn: ") + err.what()).c_str());
  } catch (const std::exception& err) {
    napi_throw_error(env, nullptr, err.what());
  }
  return nullptr;
}

// conv(kind 0..2, heap, offsets: Float64Array(4), dims: Int32Array(20))
napi_value Conv(napi_env env, napi_callback_info info) {
  int32_t kind = -1;
  Heap heap;
  F64 off;
  const int32_t* p = nullptr;
  Args a(env, info, 4);
  a.i32(0, &kind).heap(1, &heap).doubles(2, 4, &off).ints(3, kDimCount, &p).require(kind >= 0 && kind <= 2);
  if (!a.ok()) return usage(env, "onednn: conv(kind 0..2, heap, Float64Array(4) offsets, Int32Array(20) dims)");
  int64_t packed[kDimCount];
  for (int i = 0; i < kDimCount; i++) packed[i] = p[i];
  Dims d;
  std::memcpy(&d, packed, sizeof d);
  return guarded(env, [&] { run(static_cast<Kind>(kind), d, heap.data, heap.len, off.data); });
}

// batchNorm(kind 0..2, heap, offsets: Float64Array(8), n, c, epsilon)
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  int32_t kind = -1;
  int64_t n = 0, c = 0;
  double eps = 0;
  Heap heap;
  F64 off;
  Args a(env, info, 6);
  a.i32(0, &kind).heap(1, &heap).doubles(2, 8, &off).i64(3, &n).i64(4, &c).f64(5, &eps).require(kind >= 0 && kind <= 2 && n > 0 && c > 0);
  if (!a.ok()) return usage(env, "onednn: batchNorm(kind 0..2, heap, Float64Array(8) offsets, n > 0, c > 0, epsilon)");
  return guarded(env, [&] { run_bn(static_cast<BnKind>(kind), n, c, static_cast<float>(eps), heap.data, heap.len, off.data); });
}

// activation(kind, heap, offsets: Float64Array(>= 3), n); kinds:
// 0 relu [x, y], 1 relu backward [x, dy, dx], 2 swish [x, y], 3 swish backward [x, dy, dx].
napi_value Activation(napi_env env, napi_callback_info info) {
  int32_t kind = -1;
  int64_t n = -1;
  Heap heap;
  F64 off;
  Args a(env, info, 4);
  a.i32(0, &kind).heap(1, &heap).doubles(2, 3, &off).i64(3, &n).require(kind >= 0 && kind <= 3 && n >= 0);
  if (!a.ok()) return usage(env, "onednn: activation(kind 0..3, heap, Float64Array offsets (3+), n >= 0)");
  return guarded(env, [&] {
    auto* x = static_cast<const float*>(at(heap.data, heap.len, off.data[0], n, "x"));
    if (kind == 0 || kind == 2) {
      auto* y = static_cast<float*>(at(heap.data, heap.len, off.data[1], n, "y"));
      (kind == 0 ? noisy::relu_forward : noisy::swish_forward)(x, y, n);
    } else {
      auto* dy = static_cast<const float*>(at(heap.data, heap.len, off.data[1], n, "dy"));
      auto* dx = static_cast<float*>(at(heap.data, heap.len, off.data[2], n, "dx"));
      (kind == 1 ? noisy::relu_backward : noisy::swish_backward)(x, dy, dx, n);
    }
  });
}

// spatialSum(heap, offsets: Float64Array(>= 2) [x, y], b, hw, c, scale): scale * sum over hw of [b, hw, c].
napi_value SpatialSum(napi_env env, napi_callback_info info) {
  int64_t b = 0, hw = 0, c = 0;
  double scale = 1;
  Heap heap;
  F64 off;
  Args a(env, info, 6);
  a.heap(0, &heap).doubles(1, 2, &off).i64(2, &b).i64(3, &hw).i64(4, &c).f64(5, &scale).require(b > 0 && hw > 0 && c > 0);
  if (!a.ok()) return usage(env, "onednn: spatialSum(heap, Float64Array offsets [x, y], b > 0, hw > 0, c > 0, scale)");
  return guarded(env, [&] {
    auto* x = static_cast<const float*>(at(heap.data, heap.len, off.data[0], b * hw * c, "x"));
    auto* y = static_cast<float*>(at(heap.data, heap.len, off.data[1], b * c, "y"));
    noisy::spatial_sum(x, y, b, hw, c, static_cast<float>(scale));
  });
}

// binary(kind, heap, offsets: Float64Array(>= 3) [a, b, y], n, inner, channels): kinds 0 y = a + b,
// 1 y = a * b (same shape, n elements), 2 y[r, j] = a[r, j] * b[r] (rows of `inner`),
// 3 y[r, p, k] = a[r, p, k] * b[r, k] (rows of `inner` = hw * channels).
napi_value Binary(napi_env env, napi_callback_info info) {
  int32_t kind = -1;
  int64_t n = -1, inner = 0, channels = 0;
  Heap heap;
  F64 off;
  Args a(env, info, 6);
  a.i32(0, &kind).heap(1, &heap).doubles(2, 3, &off).i64(3, &n).i64(4, &inner).i64(5, &channels);
  a.require(kind >= 0 && kind <= 3 && n >= 0 && inner > 0 && n % inner == 0 && channels > 0 && inner % channels == 0);
  if (!a.ok()) return usage(env, "onednn: binary(kind 0..3, heap, Float64Array offsets [a, b, y], n >= 0, inner > 0 dividing n, channels > 0 dividing inner)");
  return guarded(env, [&] {
    const int64_t rows = n / inner;
    const int64_t b_size = kind == 2 ? rows : kind == 3 ? rows * channels : n;
    auto* x = static_cast<const float*>(at(heap.data, heap.len, off.data[0], n, "a"));
    auto* m = static_cast<const float*>(at(heap.data, heap.len, off.data[1], b_size, "b"));
    auto* y = static_cast<float*>(at(heap.data, heap.len, off.data[2], n, "y"));
    if (kind == 0) noisy::add(x, m, y, n);
    else if (kind == 1) noisy::multiply(x, m, y, n);
    else if (kind == 2) noisy::scale_rows(x, m, y, rows, inner);
    else noisy::scale_channels(x, m, y, rows, inner / channels, channels);
  });
}

// update(kind, heap, offsets: Float64Array, n, params: Float64Array): kind 0 RMSProp, offsets
// [w, g, ms, mom, w', ms', mom'], params [lr, rho, momentum, eps, weight decay]; kind 1 EMA,
// offsets [shadow, w, shadow'], params [decay].
napi_value Update(napi_env env, napi_callback_info info) {
  int32_t kind = -1;
  int64_t n = -1;
  Heap heap;
  F64 off, p;
  Args a(env, info, 5);
  a.i32(0, &kind).require(kind == 0 || kind == 1);
  a.heap(1, &heap).doubles(2, kind == 0 ? 7 : 3, &off).i64(3, &n).doubles(4, kind == 0 ? 5 : 1, &p).require(n >= 0);
  if (!a.ok()) return usage(env, "onednn: update(kind 0..1, heap, Float64Array offsets, n >= 0, Float64Array params)");
  return guarded(env, [&] {
    auto in = [&](int i, const char* name) { return static_cast<const float*>(at(heap.data, heap.len, off.data[i], n, name)); };
    auto out = [&](int i, const char* name) { return static_cast<float*>(at(heap.data, heap.len, off.data[i], n, name)); };
    const auto f = [&](int i) { return static_cast<float>(p.data[i]); };
    if (kind == 0) noisy::rmsprop(in(0, "w"), in(1, "g"), in(2, "ms"), in(3, "mom"), out(4, "w'"), out(5, "ms'"), out(6, "mom'"), n, f(0), f(1), f(2), f(3), f(4));
    else noisy::ema(in(0, "shadow"), in(1, "w"), out(2, "shadow'"), n, f(0));
  });
}

// threads(n?): set (n > 0) and return oneDNN's OpenMP thread count.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return usage(env, "onednn: threads(n?)");
  if (argc == 1 && napi_get_value_int32(env, argv[0], &n) != napi_ok) return usage(env, "onednn: threads(n?)");
  if (n > 0) omp_set_num_threads(n);
  napi_value out;
  napi_create_int32(env, omp_get_max_threads(), &out);
  return out;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activation", nullptr, Activation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spatialSum", nullptr, SpatialSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"update", nullptr, Update, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
