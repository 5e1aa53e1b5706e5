// lfilter on the CPU: tiles of kLanes channels run in SIMD lanes, blocked over time.
//
// A tile's samples are transposed into a small (time, lane) buffer, so every step of the recurrence is
// a handful of vector FMAs over the lanes (the compiler vectorises the fixed-width lane loops) and the
// FIR part rides along in the same pass. Tiles run in parallel; a signal never leaves L1/L2 in between.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <vector>

#include "filters/lfilter_common.h"

namespace sonix {
namespace {

constexpr int64_t kLanes = 8;   // channels per tile
constexpr int64_t kBlock = 1024;  // samples per time block

inline int64_t block_len(int64_t order) { return std::max(kBlock, order); }

// Per-tile coefficient table: row i holds tap i of every lane (zero for lanes past the last channel).
template <typename acc_t>
std::vector<acc_t> lane_table(const acc_t* coef, int64_t c0, int64_t nc, int64_t taps) {
  std::vector<acc_t> t(taps * kLanes, acc_t(0));
  for (int64_t l = 0; l < nc; ++l)
    for (int64_t i = 0; i < taps; ++i) t[i * kLanes + l] = coef[(c0 + l) * taps + i];
  return t;
}

// rows [0, L) of buf (row stride kLanes) <- src[c][t0 + t] for the tile's lanes, zero past nc.
template <typename scalar_t, typename acc_t>
void load_rows(const scalar_t* src, int64_t T, int64_t c0, int64_t nc, int64_t t0, int64_t L, acc_t* buf) {
  for (int64_t l = 0; l < kLanes; ++l) {
    if (l < nc) {
      const scalar_t* s = src + (c0 + l) * T + t0;
      for (int64_t t = 0; t < L; ++t) buf[t * kLanes + l] = static_cast<acc_t>(s[t]);
    } else {
      for (int64_t t = 0; t < L; ++t) buf[t * kLanes + l] = acc_t(0);
    }
  }
}

template <typename scalar_t, typename acc_t>
void store_rows(const acc_t* buf, int64_t T, int64_t c0, int64_t nc, int64_t t0, int64_t L, scalar_t* dst) {
  for (int64_t l = 0; l < nc; ++l) {
    scalar_t* d = dst + (c0 + l) * T + t0;
    for (int64_t t = 0; t < L; ++t) d[t] = static_cast<scalar_t>(buf[t * kLanes + l]);
  }
}

// kOrder > 0 fixes the order at compile time (fully unrolled biquad / first-order paths); 0: runtime.
template <int kOrder, typename scalar_t, typename acc_t>
void forward_tile(const scalar_t* x, const acc_t* a, const acc_t* b, const acc_t* zi, scalar_t* y, acc_t* zf,
                  int64_t c0, int64_t nc, int64_t T, int64_t order) {
  const int64_t N = kOrder > 0 ? kOrder : order;
  const int64_t TB = block_len(N);
  const std::vector<acc_t> A = lane_table(a, c0, nc, N + 1), B = lane_table(b, c0, nc, N + 1);
  std::vector<acc_t> Z = zi ? lane_table(zi, c0, nc, N) : std::vector<acc_t>();
  // X, Y: rows [0, N) the last N samples before the block (zero before the signal), then the block.
  std::vector<acc_t> X((N + TB) * kLanes, acc_t(0)), Y((N + TB) * kLanes, acc_t(0));
  for (int64_t t0 = 0; t0 < T; t0 += TB) {
    const int64_t L = std::min(TB, T - t0);
    load_rows(x, T, c0, nc, t0, L, X.data() + N * kLanes);
    for (int64_t t = 0; t < L; ++t) {
      const acc_t* xt = X.data() + (N + t) * kLanes;
      acc_t* yt = Y.data() + (N + t) * kLanes;
      acc_t acc[kLanes];
      for (int64_t l = 0; l < kLanes; ++l) acc[l] = B[l] * xt[l];
      for (int64_t i = 1; i <= N; ++i)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += B[i * kLanes + l] * xt[l - i * kLanes];
      if (zi && t0 + t < N)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += Z[(t0 + t) * kLanes + l];
      // a[1] last: the loop-carried dependency is one FMA per step.
      for (int64_t i = N; i >= 1; --i)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] -= A[i * kLanes + l] * yt[l - i * kLanes];
      for (int64_t l = 0; l < kLanes; ++l) yt[l] = acc[l];
    }
    store_rows(Y.data() + N * kLanes, T, c0, nc, t0, L, y);
    std::memmove(X.data(), X.data() + L * kLanes, N * kLanes * sizeof(acc_t));
    std::memmove(Y.data(), Y.data() + L * kLanes, N * kLanes * sizeof(acc_t));
  }
  // Rows [0, N) now hold x, y at T - N .. T - 1 (zeros before the signal).
  for (int64_t l = 0; l < nc; ++l) {
    for (int64_t k = 0; k < N; ++k) {
      acc_t s = (zi && T + k < N) ? Z[(T + k) * kLanes + l] : acc_t(0);
      for (int64_t i = k + 1; i <= N; ++i) {
        const int64_t r = N + k - i;  // sample T - 1 + k + 1 - i
        s += B[i * kLanes + l] * X[r * kLanes + l] - A[i * kLanes + l] * Y[r * kLanes + l];
      }
      zf[(c0 + l) * N + k] = s;
    }
  }
}

// Fixed small order: coefficients and the x / y histories live in local arrays (registers), so the
// lane loops vectorise without aliasing doubts.
template <int kN, typename scalar_t, typename acc_t>
void forward_tile_fixed(const scalar_t* x, const acc_t* a, const acc_t* b, const acc_t* zi, scalar_t* y, acc_t* zf,
                        int64_t c0, int64_t nc, int64_t T) {
  acc_t A[kN + 1][kLanes], B[kN + 1][kLanes], Z[kN][kLanes];
  acc_t xh[kN][kLanes], yh[kN][kLanes];  // xh[j] = x[t - 1 - j]
  for (int i = 0; i <= kN; ++i)
    for (int64_t l = 0; l < kLanes; ++l) {
      A[i][l] = l < nc ? a[(c0 + l) * (kN + 1) + i] : acc_t(0);
      B[i][l] = l < nc ? b[(c0 + l) * (kN + 1) + i] : acc_t(0);
    }
  for (int i = 0; i < kN; ++i)
    for (int64_t l = 0; l < kLanes; ++l) {
      Z[i][l] = (zi && l < nc) ? zi[(c0 + l) * kN + i] : acc_t(0);
      xh[i][l] = yh[i][l] = acc_t(0);
    }
  std::vector<acc_t> X(kBlock * kLanes), Y(kBlock * kLanes);
  for (int64_t t0 = 0; t0 < T; t0 += kBlock) {
    const int64_t L = std::min(kBlock, T - t0);
    load_rows(x, T, c0, nc, t0, L, X.data());
    const acc_t* __restrict__ xb = X.data();
    acc_t* __restrict__ yb = Y.data();
    for (int64_t t = 0; t < L; ++t) {
      const acc_t* xt = xb + t * kLanes;
      acc_t acc[kLanes];
      for (int64_t l = 0; l < kLanes; ++l) acc[l] = B[0][l] * xt[l];
      for (int i = 1; i <= kN; ++i)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += B[i][l] * xh[i - 1][l];
      if (t0 + t < kN)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += Z[t0 + t][l];
      for (int i = kN; i >= 1; --i)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] -= A[i][l] * yh[i - 1][l];
      for (int i = kN - 1; i >= 1; --i)
        for (int64_t l = 0; l < kLanes; ++l) {
          xh[i][l] = xh[i - 1][l];
          yh[i][l] = yh[i - 1][l];
        }
      for (int64_t l = 0; l < kLanes; ++l) {
        xh[0][l] = xt[l];
        yh[0][l] = acc[l];
        yb[t * kLanes + l] = acc[l];
      }
    }
    store_rows(Y.data(), T, c0, nc, t0, L, y);
  }
  for (int64_t l = 0; l < nc; ++l)
    for (int k = 0; k < kN; ++k) {
      acc_t s = (T + k < kN) ? Z[T + k][l] : acc_t(0);
      for (int i = k + 1; i <= kN; ++i) s += B[i][l] * xh[i - k - 1][l] - A[i][l] * yh[i - k - 1][l];
      zf[(c0 + l) * kN + k] = s;
    }
}

// Adjoint: gw = anti-causal all-pole_a(gy'), gx = FIR_b^T(gw), gb[i] = sum gw[t] x[t-i],
// ga[i] = -sum gw[t] y[t-i], gzi[k] = gw[k]; gy' and the extras carry grad_zf through zf's formula.
template <int kOrder, typename scalar_t, typename acc_t>
void backward_tile(const scalar_t* gy, const acc_t* gzf, const scalar_t* x, const scalar_t* y, const acc_t* a,
                   const acc_t* b, scalar_t* gx, acc_t* ga, acc_t* gb, acc_t* gzi, int64_t c0, int64_t nc, int64_t T,
                   int64_t order) {
  const int64_t N = kOrder > 0 ? kOrder : order;
  const int64_t TB = block_len(N);
  const std::vector<acc_t> A = lane_table(a, c0, nc, N + 1), B = lane_table(b, c0, nc, N + 1);
  std::vector<acc_t> GA((N + 1) * kLanes, acc_t(0)), GB((N + 1) * kLanes, acc_t(0)), GZ(N * kLanes, acc_t(0));
  // Extra gradients of y and x at T - N + j from grad_zf.
  std::vector<acc_t> EY(N * kLanes, acc_t(0)), EX(N * kLanes, acc_t(0));
  if (gzf) {
    for (int64_t l = 0; l < nc; ++l) {
      const int64_t c = c0 + l;
      for (int64_t k = 0; k < N; ++k) {
        const acc_t g = gzf[c * N + k];
        if (T + k < N) GZ[(T + k) * kLanes + l] += g;
        for (int64_t i = k + 1; i <= N; ++i) {
          const int64_t t = T + k - i;
          if (t < 0) continue;
          const int64_t j = t - (T - N);
          EX[j * kLanes + l] += g * B[i * kLanes + l];
          EY[j * kLanes + l] -= g * A[i * kLanes + l];
          GB[i * kLanes + l] += g * static_cast<acc_t>(x[c * T + t]);
          GA[i * kLanes + l] -= g * static_cast<acc_t>(y[c * T + t]);
        }
      }
    }
  }
  // G: the block's gy. W: gw of the block at rows [0, L), of the N samples after it at rows [L, L + N).
  // X, Y: rows [0, N) the N samples before the block, then the block.
  std::vector<acc_t> G(TB * kLanes), W((TB + N) * kLanes, acc_t(0)), GX(TB * kLanes);
  std::vector<acc_t> X((N + TB) * kLanes), Y((N + TB) * kLanes);
  const int64_t n_blocks = (T + TB - 1) / TB;
  for (int64_t blk = n_blocks - 1; blk >= 0; --blk) {
    const int64_t t0 = blk * TB, L = std::min(TB, T - t0);
    const int64_t h = std::min(N, t0);  // history samples that exist
    std::fill(X.begin(), X.begin() + (N - h) * kLanes, acc_t(0));
    std::fill(Y.begin(), Y.begin() + (N - h) * kLanes, acc_t(0));
    load_rows(x, T, c0, nc, t0 - h, h + L, X.data() + (N - h) * kLanes);
    load_rows(y, T, c0, nc, t0 - h, h + L, Y.data() + (N - h) * kLanes);
    load_rows(gy, T, c0, nc, t0, L, G.data());
    acc_t sa[kLanes * 9], sb[kLanes * 9];  // block partial sums (short sums keep float32 accurate)
    std::vector<acc_t> SA, SB;
    acc_t* pa = sa;
    acc_t* pb = sb;
    if (N + 1 > 9) {
      SA.assign((N + 1) * kLanes, acc_t(0));
      SB.assign((N + 1) * kLanes, acc_t(0));
      pa = SA.data();
      pb = SB.data();
    } else {
      std::fill(sa, sa + (N + 1) * kLanes, acc_t(0));
      std::fill(sb, sb + (N + 1) * kLanes, acc_t(0));
    }
    for (int64_t t = L - 1; t >= 0; --t) {
      const int64_t tg = t0 + t;
      acc_t acc[kLanes];
      for (int64_t l = 0; l < kLanes; ++l) acc[l] = G[t * kLanes + l];
      if (tg >= T - N)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += EY[(tg - (T - N)) * kLanes + l];
      acc_t* wt = W.data() + t * kLanes;
      for (int64_t i = N; i >= 1; --i)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] -= A[i * kLanes + l] * wt[l + i * kLanes];
      for (int64_t l = 0; l < kLanes; ++l) wt[l] = acc[l];
      acc_t g[kLanes];
      for (int64_t l = 0; l < kLanes; ++l) g[l] = B[l] * acc[l];
      for (int64_t i = 1; i <= N; ++i)
        for (int64_t l = 0; l < kLanes; ++l) g[l] += B[i * kLanes + l] * wt[l + i * kLanes];
      if (tg >= T - N)
        for (int64_t l = 0; l < kLanes; ++l) g[l] += EX[(tg - (T - N)) * kLanes + l];
      for (int64_t l = 0; l < kLanes; ++l) GX[t * kLanes + l] = g[l];
      const acc_t* xt = X.data() + (N + t) * kLanes;
      const acc_t* yt = Y.data() + (N + t) * kLanes;
      for (int64_t i = 0; i <= N; ++i)
        for (int64_t l = 0; l < kLanes; ++l) pb[i * kLanes + l] += acc[l] * xt[l - i * kLanes];
      for (int64_t i = 1; i <= N; ++i)
        for (int64_t l = 0; l < kLanes; ++l) pa[i * kLanes + l] -= acc[l] * yt[l - i * kLanes];
      if (tg < N)
        for (int64_t l = 0; l < kLanes; ++l) GZ[tg * kLanes + l] += acc[l];
    }
    for (int64_t i = 0; i < (N + 1) * kLanes; ++i) {
      GA[i] += pa[i];
      GB[i] += pb[i];
    }
    store_rows(GX.data(), T, c0, nc, t0, L, gx);
    std::memmove(W.data() + TB * kLanes, W.data(), N * kLanes * sizeof(acc_t));
  }
  for (int64_t l = 0; l < nc; ++l) {
    const int64_t c = c0 + l;
    ga[c * (N + 1)] = acc_t(0);  // a[0] is the normaliser the op ignores
    for (int64_t i = 1; i <= N; ++i) ga[c * (N + 1) + i] = GA[i * kLanes + l];
    for (int64_t i = 0; i <= N; ++i) gb[c * (N + 1) + i] = GB[i * kLanes + l];
    for (int64_t k = 0; k < N; ++k) gzi[c * N + k] = GZ[k * kLanes + l];
  }
}

// backward_tile with a fixed small order: the gw look-ahead, coefficients and block sums in local arrays.
template <int kN, bool kCoef, typename scalar_t, typename acc_t>
void backward_tile_fixed(const scalar_t* gy, const acc_t* gzf, const scalar_t* x, const scalar_t* y, const acc_t* a,
                         const acc_t* b, scalar_t* gx, acc_t* ga, acc_t* gb, acc_t* gzi, int64_t c0, int64_t nc,
                         int64_t T) {
  constexpr int64_t N = kN;
  acc_t A[kN + 1][kLanes], B[kN + 1][kLanes], GA[kN + 1][kLanes], GB[kN + 1][kLanes];
  acc_t GZ[kN][kLanes], EX[kN][kLanes], EY[kN][kLanes], gwh[kN][kLanes];  // gwh[j] = gw[t + 1 + j]
  for (int i = 0; i <= kN; ++i)
    for (int64_t l = 0; l < kLanes; ++l) {
      A[i][l] = l < nc ? a[(c0 + l) * (N + 1) + i] : acc_t(0);
      B[i][l] = l < nc ? b[(c0 + l) * (N + 1) + i] : acc_t(0);
      GA[i][l] = GB[i][l] = acc_t(0);
    }
  for (int i = 0; i < kN; ++i)
    for (int64_t l = 0; l < kLanes; ++l) GZ[i][l] = EX[i][l] = EY[i][l] = gwh[i][l] = acc_t(0);
  if (gzf) {
    for (int64_t l = 0; l < nc; ++l) {
      const int64_t c = c0 + l;
      for (int64_t k = 0; k < N; ++k) {
        const acc_t g = gzf[c * N + k];
        if (T + k < N) GZ[T + k][l] += g;
        for (int64_t i = k + 1; i <= N; ++i) {
          const int64_t t = T + k - i;
          if (t < 0) continue;
          const int64_t j = t - (T - N);
          EX[j][l] += g * B[i][l];
          EY[j][l] -= g * A[i][l];
          GB[i][l] += g * static_cast<acc_t>(x[c * T + t]);
          GA[i][l] -= g * static_cast<acc_t>(y[c * T + t]);
        }
      }
    }
  }
  std::vector<acc_t> G(kBlock * kLanes), GX(kBlock * kLanes), X((N + kBlock) * kLanes), Y((N + kBlock) * kLanes);
  const int64_t n_blocks = (T + kBlock - 1) / kBlock;
  for (int64_t blk = n_blocks - 1; blk >= 0; --blk) {
    const int64_t t0 = blk * kBlock, L = std::min(kBlock, T - t0);
    const int64_t h = std::min(N, t0);
    if (kCoef) {  // x and y are only read for the coefficient gradients
      std::fill(X.begin(), X.begin() + (N - h) * kLanes, acc_t(0));
      std::fill(Y.begin(), Y.begin() + (N - h) * kLanes, acc_t(0));
      load_rows(x, T, c0, nc, t0 - h, h + L, X.data() + (N - h) * kLanes);
      load_rows(y, T, c0, nc, t0 - h, h + L, Y.data() + (N - h) * kLanes);
    }
    load_rows(gy, T, c0, nc, t0, L, G.data());
    const acc_t* __restrict__ gb_ = G.data();
    const acc_t* __restrict__ xb = X.data();
    const acc_t* __restrict__ yb = Y.data();
    acc_t* __restrict__ gxb = GX.data();
    acc_t pa[kN + 1][kLanes] = {}, pb[kN + 1][kLanes] = {};
    for (int64_t t = L - 1; t >= 0; --t) {
      const int64_t tg = t0 + t;
      acc_t acc[kLanes];
      for (int64_t l = 0; l < kLanes; ++l) acc[l] = gb_[t * kLanes + l];
      if (tg >= T - N)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += EY[tg - (T - N)][l];
      for (int i = kN; i >= 1; --i)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] -= A[i][l] * gwh[i - 1][l];
      acc_t g[kLanes];
      for (int64_t l = 0; l < kLanes; ++l) g[l] = B[0][l] * acc[l];
      for (int i = 1; i <= kN; ++i)
        for (int64_t l = 0; l < kLanes; ++l) g[l] += B[i][l] * gwh[i - 1][l];
      if (tg >= T - N)
        for (int64_t l = 0; l < kLanes; ++l) g[l] += EX[tg - (T - N)][l];
      if (kCoef) {
        const acc_t* xt = xb + (N + t) * kLanes;
        const acc_t* yt = yb + (N + t) * kLanes;
        for (int i = 0; i <= kN; ++i)
          for (int64_t l = 0; l < kLanes; ++l) pb[i][l] += acc[l] * xt[l - i * kLanes];
        for (int i = 1; i <= kN; ++i)
          for (int64_t l = 0; l < kLanes; ++l) pa[i][l] -= acc[l] * yt[l - i * kLanes];
      }
      if (tg < N)
        for (int64_t l = 0; l < kLanes; ++l) GZ[tg][l] += acc[l];
      for (int i = kN - 1; i >= 1; --i)
        for (int64_t l = 0; l < kLanes; ++l) gwh[i][l] = gwh[i - 1][l];
      for (int64_t l = 0; l < kLanes; ++l) {
        gwh[0][l] = acc[l];
        gxb[t * kLanes + l] = g[l];
      }
    }
    for (int i = 0; i <= kN; ++i)
      for (int64_t l = 0; l < kLanes; ++l) {
        GA[i][l] += pa[i][l];
        GB[i][l] += pb[i][l];
      }
    store_rows(GX.data(), T, c0, nc, t0, L, gx);
  }
  for (int64_t l = 0; l < nc; ++l) {
    const int64_t c = c0 + l;
    ga[c * (N + 1)] = acc_t(0);
    for (int i = 1; i <= kN; ++i) ga[c * (N + 1) + i] = GA[i][l];
    for (int i = 0; i <= kN; ++i) gb[c * (N + 1) + i] = GB[i][l];
    for (int k = 0; k < kN; ++k) gzi[c * N + k] = GZ[k][l];
  }
}

template <typename Fn>
void for_each_tile(int64_t C, const Fn& fn) {
  const int64_t tiles = (C + kLanes - 1) / kLanes;
  at::parallel_for(0, tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t tile = begin; tile < end; ++tile) {
      const int64_t c0 = tile * kLanes;
      fn(c0, std::min(kLanes, C - c0));
    }
  });
}

}  // namespace

std::tuple<at::Tensor, at::Tensor> lfilter_cpu(const at::Tensor& x_in, const at::Tensor& a_in, const at::Tensor& b_in,
                                               const c10::optional<at::Tensor>& zi_in) {
  const LfilterShape s = check_lfilter_args(x_in, a_in, b_in, zi_in);
  const at::Tensor x = x_in.contiguous(), a = a_in.contiguous(), b = b_in.contiguous();
  const at::Tensor zi = zi_in.has_value() ? zi_in->contiguous() : at::Tensor();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor zf = at::empty({s.channels, s.order}, a.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_lfilter_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const acc_t* ap = a.const_data_ptr<acc_t>();
    const acc_t* bp = b.const_data_ptr<acc_t>();
    const acc_t* zp = zi.defined() ? zi.const_data_ptr<acc_t>() : nullptr;
    scalar_t* yp = y.mutable_data_ptr<scalar_t>();
    acc_t* zfp = zf.mutable_data_ptr<acc_t>();
    for_each_tile(s.channels, [&](int64_t c0, int64_t nc) {
      switch (s.order) {
        case 1: forward_tile_fixed<1>(xp, ap, bp, zp, yp, zfp, c0, nc, s.length); break;
        case 2: forward_tile_fixed<2>(xp, ap, bp, zp, yp, zfp, c0, nc, s.length); break;
        default: forward_tile<0>(xp, ap, bp, zp, yp, zfp, c0, nc, s.length, s.order);
      }
    });
  });
  return {y, zf};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> lfilter_backward_cpu(
    const at::Tensor& grad_y, const c10::optional<at::Tensor>& grad_zf, const at::Tensor& x_in,
    const at::Tensor& y_in, const at::Tensor& a_in, const at::Tensor& b_in, bool coef_grads) {
  check_lfilter_backward_args(grad_y, grad_zf, x_in, y_in, a_in, b_in);
  const int64_t C = x_in.size(0), T = x_in.size(1), N = a_in.size(1) - 1;
  const at::Tensor x = x_in.contiguous(), y = y_in.to(x.scalar_type()).contiguous();
  const at::Tensor gy = grad_y.to(x.scalar_type()).contiguous();
  const at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const at::Tensor gzf = grad_zf.has_value() ? grad_zf->to(a.scalar_type()).contiguous() : at::Tensor();
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor ga = at::empty_like(a), gb = at::empty_like(b), gzi = at::empty({C, N}, a.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_lfilter_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* gyp = gy.const_data_ptr<scalar_t>();
    const acc_t* gzp = gzf.defined() ? gzf.const_data_ptr<acc_t>() : nullptr;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const scalar_t* yp = y.const_data_ptr<scalar_t>();
    const acc_t* ap = a.const_data_ptr<acc_t>();
    const acc_t* bp = b.const_data_ptr<acc_t>();
    scalar_t* gxp = gx.mutable_data_ptr<scalar_t>();
    acc_t* gap = ga.mutable_data_ptr<acc_t>();
    acc_t* gbp = gb.mutable_data_ptr<acc_t>();
    acc_t* gzip = gzi.mutable_data_ptr<acc_t>();
    for_each_tile(C, [&](int64_t c0, int64_t nc) {
      switch (N) {
        case 1:
          if (coef_grads) backward_tile_fixed<1, true>(gyp, gzp, xp, yp, ap, bp, gxp, gap, gbp, gzip, c0, nc, T);
          else backward_tile_fixed<1, false>(gyp, gzp, xp, yp, ap, bp, gxp, gap, gbp, gzip, c0, nc, T);
          break;
        case 2:
          if (coef_grads) backward_tile_fixed<2, true>(gyp, gzp, xp, yp, ap, bp, gxp, gap, gbp, gzip, c0, nc, T);
          else backward_tile_fixed<2, false>(gyp, gzp, xp, yp, ap, bp, gxp, gap, gbp, gzip, c0, nc, T);
          break;
        default: backward_tile<0>(gyp, gzp, xp, yp, ap, bp, gxp, gap, gbp, gzip, c0, nc, T, N);
      }
    });
  });
  return {gx, ga, gb, gzi};
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("lfilter", &lfilter_cpu);
  m.impl("lfilter_backward", &lfilter_backward_cpu);
}

}  // namespace sonix
