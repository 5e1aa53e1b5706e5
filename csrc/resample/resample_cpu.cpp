// CPU kernels of the polyphase resampler (tap table or taps computed per output) and their adjoints.
//
// Forward: each output is one dot product of contiguous input with the contiguous taps of its phase,
// in 32-byte vectors (an AVX2+FMA build of the loop is picked at run time when the CPU has it);
// parallel over rows x blocks of outputs. Adjoint: a gather over the outputs that read each input,
// so threads never write the same element (deterministic, no atomics).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "resample/resample_common.h"

namespace sonix {
namespace {

constexpr int64_t kBlock = 4096;  // outputs (or inputs, for the adjoints) per parallel work item

template <typename acc_t>
struct Vec32 {
  typedef acc_t type __attribute__((vector_size(32)));
};

// Dot product of n contiguous samples and taps; n is a multiple of 32 bytes of acc_t (kTapPad). Every
// output is summed in this one order (one vector accumulator along k, then its lanes in order), also
// by dot4_padded: an output's value never depends on which path computed it (streaming == offline).
template <typename acc_t>
inline __attribute__((always_inline)) acc_t hsum(typename Vec32<acc_t>::type a) {
  constexpr int64_t W = 32 / sizeof(acc_t);
  acc_t s = 0;
  for (int64_t i = 0; i < W; ++i) s += a[i];
  return s;
}

template <typename acc_t>
inline __attribute__((always_inline)) acc_t dot_padded(const acc_t* x, const acc_t* h, int64_t n) {
  using V = typename Vec32<acc_t>::type;
  constexpr int64_t W = 32 / sizeof(acc_t);
  V a = {};
  for (int64_t k = 0; k < n; k += W) {
    V xv, hv;
    std::memcpy(&xv, x + k, 32);
    std::memcpy(&hv, h + k, 32);
    a += xv * hv;
  }
  return hsum<acc_t>(a);
}

// Four outputs of the same phase (inputs `stride` apart): each tap vector is loaded once for four
// independent accumulators (fewer loads per FMA, and the FMA latency hidden).
template <typename acc_t>
inline __attribute__((always_inline)) void dot4_padded(const acc_t* x, int64_t stride, const acc_t* h, int64_t n,
                                                       acc_t* out) {
  using V = typename Vec32<acc_t>::type;
  constexpr int64_t W = 32 / sizeof(acc_t);
  V a0 = {}, a1 = {}, a2 = {}, a3 = {};
  for (int64_t k = 0; k < n; k += W) {
    V hv, x0, x1, x2, x3;
    std::memcpy(&hv, h + k, 32);
    std::memcpy(&x0, x + k, 32);
    std::memcpy(&x1, x + stride + k, 32);
    std::memcpy(&x2, x + 2 * stride + k, 32);
    std::memcpy(&x3, x + 3 * stride + k, 32);
    a0 += x0 * hv;
    a1 += x1 * hv;
    a2 += x2 * hv;
    a3 += x3 * hv;
  }
  out[0] = hsum<acc_t>(a0);
  out[1] = hsum<acc_t>(a1);
  out[2] = hsum<acc_t>(a2);
  out[3] = hsum<acc_t>(a3);
}

// The same sum where the reads leave [0, in_len): only the taps on real samples (zeros elsewhere).
template <typename acc_t>
inline acc_t dot_bounded(const acc_t* x, int64_t s, int64_t in_len, const acc_t* h, int64_t n) {
  const int64_t k0 = std::max<int64_t>(0, -s), k1 = std::min<int64_t>(n, in_len - s);
  acc_t v = 0;
  for (int64_t k = k0; k < k1; ++k) v += x[s + k] * h[k];
  return v;
}

template <typename acc_t>
struct PolyArgs {
  const acc_t* x;
  int64_t in_len;
  const acc_t* taps;  // (up, n_taps), n_taps a multiple of kTapPad
  acc_t* y;
  int64_t out_len;
  PolyGeom g;
};

// One output, and the stream position of the next (tracked without a division per output).
template <typename acc_t>
inline __attribute__((always_inline)) acc_t poly_one(const PolyArgs<acc_t>& a, const acc_t* x, int64_t p,
                                                     int64_t base) {
  const int64_t s = base - a.g.left - a.g.in_offset, T = a.g.n_taps;
  const acc_t* h = a.taps + p * T;
  return (s >= 0 && s + T <= a.in_len) ? dot_padded(x + s, h, T) : dot_bounded(x, s, a.in_len, h, T);
}

// Outputs [c0, c1) of one row: runs of 4 * up outputs as four outputs per phase (dot4_padded), the
// rest one by one.
template <typename acc_t>
inline __attribute__((always_inline)) void poly_forward_block(const PolyArgs<acc_t>& a, int64_t row, int64_t c0,
                                                               int64_t c1) {
  const PolyGeom& g = a.g;
  const acc_t* x = a.x + row * a.in_len;
  acc_t* y = a.y + row * a.out_len;
  const int64_t T = g.n_taps, up = g.up;
  int64_t c = c0;
  for (; c + 4 * up <= c1; c += 4 * up) {
    for (int64_t q = 0; q < up; ++q) {
      const int64_t j = g.out_start + c + q;
      const int64_t p = j % up, base = (j * g.orig) / up;
      const int64_t s = base - g.left - g.in_offset;
      acc_t* yq = y + c + q;
      if (s >= 0 && s + 3 * g.orig + T <= a.in_len) {
        acc_t out[4];
        dot4_padded(x + s, g.orig, a.taps + p * T, T, out);
        for (int k = 0; k < 4; ++k) yq[k * up] = out[k];
      } else {
        for (int k = 0; k < 4; ++k) yq[k * up] = poly_one(a, x, p, base + k * g.orig);
      }
    }
  }
  const int64_t j0 = g.out_start + c;
  int64_t p = j0 % up, base = (j0 * g.orig) / up, rem = (j0 * g.orig) % up;
  const int64_t qo = g.orig / up, ro = g.orig % up;
  for (; c < c1; ++c) {
    y[c] = poly_one(a, x, p, base);
    base += qo;
    rem += ro;
    if (rem >= up) {
      rem -= up;
      ++base;
    }
    if (++p == up) p = 0;
  }
}

template <typename acc_t>
void poly_forward_generic(const PolyArgs<acc_t>& a, int64_t row, int64_t c0, int64_t c1) {
  poly_forward_block(a, row, c0, c1);
}

template <typename acc_t>
__attribute__((target("avx2,fma"))) void poly_forward_avx2(const PolyArgs<acc_t>& a, int64_t row, int64_t c0,
                                                            int64_t c1) {
  poly_forward_block(a, row, c0, c1);
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

// Runs fn(row, begin, end) over rows x blocks of `len` columns in parallel.
template <typename Fn>
void for_row_blocks(int64_t rows, int64_t len, const Fn& fn) {
  const int64_t nb = (len + kBlock - 1) / kBlock;
  at::parallel_for(0, rows * nb, 1, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w) {
      const int64_t r = w / nb, c0 = (w % nb) * kBlock;
      fn(r, c0, std::min(len, c0 + kBlock));
    }
  });
}

// A (up, n) table as a contiguous (up, padded_taps(n)) table of the compute type.
at::Tensor pad_taps(const at::Tensor& taps, at::ScalarType acc) {
  at::Tensor t = taps.to(acc).contiguous();
  const int64_t n = t.size(1), np = padded_taps(n);
  return np == n ? t : at::constant_pad_nd(t, {0, np - n}, 0);
}

}  // namespace

at::Tensor resample_poly_cpu(const at::Tensor& input, const at::Tensor& taps, int64_t orig, int64_t up, int64_t left,
                             int64_t in_offset, int64_t out_start, int64_t out_len) {
  check_rows(input, "input");
  check_taps(taps, input, up);
  check_geom(orig, up, left, in_offset, out_start);
  SONIX_CHECK(out_len >= 0, "out_len must be >= 0, got ", out_len);
  const at::ScalarType acc = compute_type(input.scalar_type());
  const at::Tensor x = input.to(acc).contiguous();
  const at::Tensor h = pad_taps(taps, acc);
  at::Tensor y = at::empty({x.size(0), out_len}, x.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_poly_cpu", [&] {
    const PolyArgs<scalar_t> a{x.const_data_ptr<scalar_t>(), x.size(1), h.const_data_ptr<scalar_t>(),
                               y.mutable_data_ptr<scalar_t>(), out_len,
                               PolyGeom{orig, up, left, h.size(1), in_offset, out_start}};
    const bool avx2 = cpu_has_avx2();
    for_row_blocks(x.size(0), out_len, [&](int64_t r, int64_t c0, int64_t c1) {
      if (avx2)
        poly_forward_avx2(a, r, c0, c1);
      else
        poly_forward_generic(a, r, c0, c1);
    });
  });
  return y.to(input.scalar_type());
}

namespace {

// Adjoint: gx[i] = sum over the outputs j that read input i of grad[j] * taps[j % up][i - start(j)].
// Each work item owns a block of inputs [i0, i1) and adds grad[j] * taps (a vectorisable axpy) of
// every output that reads into it, clipped to the block: no two threads write the same element.
template <typename acc_t>
inline __attribute__((always_inline)) void poly_backward_block(const acc_t* g, int64_t out_len, const acc_t* taps,
                                                                const PolyGeom& geo, acc_t* gx, int64_t i0,
                                                                int64_t i1) {
  const int64_t T = geo.n_taps;
  for (int64_t i = i0; i < i1; ++i) gx[i] = 0;
  const int64_t lo = std::max(poly_first_reader(i0 + geo.in_offset, geo.orig, geo.up, geo.left, T), geo.out_start);
  const int64_t hi = std::min(poly_last_reader(i1 - 1 + geo.in_offset, geo.orig, geo.up, geo.left),
                              geo.out_start + out_len - 1);
  if (lo > hi) return;
  int64_t p = lo % geo.up, base = (lo * geo.orig) / geo.up, rem = (lo * geo.orig) % geo.up;
  const int64_t qo = geo.orig / geo.up, ro = geo.orig % geo.up;
  for (int64_t j = lo; j <= hi; ++j) {
    const int64_t s = base - geo.left - geo.in_offset;
    const int64_t k0 = std::max<int64_t>(0, i0 - s), k1 = std::min<int64_t>(T, i1 - s);
    const acc_t gv = g[j - geo.out_start];
    const acc_t* h = taps + p * T;
    acc_t* o = gx + s;
    for (int64_t k = k0; k < k1; ++k) o[k] += gv * h[k];
    base += qo;
    rem += ro;
    if (rem >= geo.up) {
      rem -= geo.up;
      ++base;
    }
    if (++p == geo.up) p = 0;
  }
}

template <typename acc_t>
void poly_backward_generic(const acc_t* g, int64_t out_len, const acc_t* taps, const PolyGeom& geo, acc_t* gx,
                           int64_t i0, int64_t i1) {
  poly_backward_block(g, out_len, taps, geo, gx, i0, i1);
}

template <typename acc_t>
__attribute__((target("avx2,fma"))) void poly_backward_avx2(const acc_t* g, int64_t out_len, const acc_t* taps,
                                                             const PolyGeom& geo, acc_t* gx, int64_t i0,
                                                             int64_t i1) {
  poly_backward_block(g, out_len, taps, geo, gx, i0, i1);
}

}  // namespace

at::Tensor resample_poly_backward_cpu(const at::Tensor& grad, const at::Tensor& taps, int64_t orig, int64_t up,
                                      int64_t left, int64_t in_offset, int64_t out_start, int64_t in_len) {
  check_rows(grad, "grad");
  check_taps(taps, grad, up);
  check_geom(orig, up, left, in_offset, out_start);
  SONIX_CHECK(in_len >= 0, "in_len must be >= 0, got ", in_len);
  const at::ScalarType acc = compute_type(grad.scalar_type());
  const at::Tensor g = grad.to(acc).contiguous();
  const at::Tensor h = taps.to(acc).contiguous();
  at::Tensor gx = at::empty({g.size(0), in_len}, g.options());
  const int64_t out_len = g.size(1);
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_poly_backward_cpu", [&] {
    const scalar_t* gp = g.const_data_ptr<scalar_t>();
    const scalar_t* hp = h.const_data_ptr<scalar_t>();
    scalar_t* op = gx.mutable_data_ptr<scalar_t>();
    const PolyGeom geo{orig, up, left, h.size(1), in_offset, out_start};
    const bool avx2 = cpu_has_avx2();
    for_row_blocks(g.size(0), in_len, [&](int64_t r, int64_t i0, int64_t i1) {
      if (avx2)
        poly_backward_avx2(gp + r * out_len, out_len, hp, geo, op + r * in_len, i0, i1);
      else
        poly_backward_generic(gp + r * out_len, out_len, hp, geo, op + r * in_len, i0, i1);
    });
  });
  return gx.to(grad.scalar_type());
}

// ---- per-row source rates, taps computed from each output's fractional position -----------------

namespace {

struct VaryingRow {
  int64_t orig, out_len;  // this row's source rate and output length
  SincFilter f;
};

VaryingRow varying_row(int64_t orig, int64_t up, int64_t in_len, const SincFilter& base) {
  SincFilter f = base;
  f.scale = base.scale * std::min(1.0, static_cast<double>(up) / static_cast<double>(orig));
  return VaryingRow{orig, ceil_div(up * in_len, orig), f};
}

void check_varying(const at::Tensor& orig, int64_t up, int64_t left, int64_t n_taps) {
  check_varying_geom(up, left, n_taps);
  const at::Tensor o = orig.cpu();
  SONIX_CHECK(o.numel() == 0 || o.min().item<int64_t>() >= 1, "orig must hold rates >= 1");
}

}  // namespace

at::Tensor resample_varying_cpu(const at::Tensor& input, const at::Tensor& orig, int64_t up, int64_t left,
                                int64_t n_taps, double rolloff, double lpw, int64_t window, double beta,
                                int64_t out_len) {
  check_rows(input, "input");
  check_rates_tensor(orig, input);
  check_varying(orig, up, left, n_taps);
  SONIX_CHECK(out_len >= 0, "out_len must be >= 0, got ", out_len);
  const SincFilter base = make_sinc_filter(rolloff, lpw, window, beta);
  const at::ScalarType acc = compute_type(input.scalar_type());
  const at::Tensor x = input.to(acc).contiguous();
  const at::Tensor rates = orig.contiguous();
  const int64_t in_len = x.size(1), T = padded_taps(n_taps);
  at::Tensor y = at::empty({x.size(0), out_len}, x.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_varying_cpu", [&] {
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const int64_t* rp = rates.const_data_ptr<int64_t>();
    scalar_t* yp = y.mutable_data_ptr<scalar_t>();
    for_row_blocks(x.size(0), out_len, [&](int64_t r, int64_t c0, int64_t c1) {
      const VaryingRow row = varying_row(rp[r], up, in_len, base);
      const scalar_t* xr = xp + r * in_len;
      scalar_t* yr = yp + r * out_len;
      std::vector<scalar_t> h(T, scalar_t(0));
      for (int64_t j = c0; j < c1; ++j) {
        if (j >= row.out_len) {
          yr[j] = 0;
        } else if (row.orig == up) {
          yr[j] = xr[j];
        } else {
          const int64_t num = j * row.orig, bj = num / up;
          const double frac = static_cast<double>(num % up) / static_cast<double>(up);
          for (int64_t k = 0; k < n_taps; ++k)
            h[k] = static_cast<scalar_t>(sinc_tap(static_cast<double>(k - left) - frac, row.f));
          const int64_t s = bj - left;
          yr[j] = (s >= 0 && s + T <= in_len) ? dot_padded(xr + s, h.data(), T) : dot_bounded(xr, s, in_len, h.data(), T);
        }
      }
    });
  });
  return y.to(input.scalar_type());
}

at::Tensor resample_varying_backward_cpu(const at::Tensor& grad, const at::Tensor& orig, int64_t up, int64_t left,
                                         int64_t n_taps, double rolloff, double lpw, int64_t window, double beta,
                                         int64_t in_len) {
  check_rows(grad, "grad");
  check_rates_tensor(orig, grad);
  check_varying(orig, up, left, n_taps);
  SONIX_CHECK(in_len >= 0, "in_len must be >= 0, got ", in_len);
  const SincFilter base = make_sinc_filter(rolloff, lpw, window, beta);
  const at::ScalarType acc = compute_type(grad.scalar_type());
  const at::Tensor g = grad.to(acc).contiguous();
  const at::Tensor rates = orig.contiguous();
  const int64_t out_len = g.size(1);
  at::Tensor gx = at::empty({g.size(0), in_len}, g.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_varying_backward_cpu", [&] {
    const scalar_t* gp = g.const_data_ptr<scalar_t>();
    const int64_t* rp = rates.const_data_ptr<int64_t>();
    scalar_t* op = gx.mutable_data_ptr<scalar_t>();
    for_row_blocks(g.size(0), in_len, [&](int64_t r, int64_t i0, int64_t i1) {
      const VaryingRow row = varying_row(rp[r], up, in_len, base);
      const scalar_t* gr = gp + r * out_len;
      const int64_t n_out = std::min(out_len, row.out_len);
      for (int64_t i = i0; i < i1; ++i) {
        scalar_t v = 0;
        if (row.orig == up) {
          v = i < n_out ? gr[i] : scalar_t(0);
        } else {
          const int64_t lo = std::max<int64_t>(poly_first_reader(i, row.orig, up, left, n_taps), 0);
          const int64_t hi = std::min(poly_last_reader(i, row.orig, up, left), n_out - 1);
          for (int64_t j = lo; j <= hi; ++j) {
            const int64_t num = j * row.orig;
            const double frac = static_cast<double>(num % up) / static_cast<double>(up);
            const double d = static_cast<double>(i - num / up) - frac;
            v += gr[j] * static_cast<scalar_t>(sinc_tap(d, row.f));
          }
        }
        op[r * in_len + i] = v;
      }
    });
  });
  return gx.to(grad.scalar_type());
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("resample_poly", &resample_poly_cpu);
  m.impl("resample_poly_backward", &resample_poly_backward_cpu);
  m.impl("resample_varying", &resample_varying_cpu);
  m.impl("resample_varying_backward", &resample_varying_backward_cpu);
}

}  // namespace sonix
